// The box's configuration: defaults < JSON file (BOX_CONFIG or --config) < BOX_* environment.
// Validated once at start-up; a bad value stops the box with every bad key named.
import { z } from 'zod';
import { ConfigError, deepMerge, envOverrides, parseConfig, readJsonFile } from '../shared/config.js';
import { ID_PATTERN } from '../shared/mqtt/topics.js';
import { VAT_CODES } from '../shared/receipt.js';
import { printerConfigSchema } from './printer/config.js';
import { uplinkConfigSchema } from './uplink/config.js';

const int = (min: number, max: number) => z.coerce.number().int().min(min).max(max);

const tokenList = z.preprocess(
  (v) => (typeof v === 'string' ? v.split(',').map((s) => s.trim()).filter(Boolean) : v),
  z.array(z.string().min(16, 'a POS token must be at least 16 characters')).min(1, 'at least one POS token is required'),
);

export const boxConfigSchema = z.strictObject({
  /** HLC node id and the box's name towards the hub. */
  nodeId: z.string().regex(/^[A-Za-z0-9_.]{1,64}$/, 'letters, digits, _ and . only (1-64)').default('box01'),
  dataDir: z.string().min(1).default('./data/box'),
  logLevel: z.enum(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent']).default('info'),
  api: z.strictObject({
    host: z.string().min(1).default('127.0.0.1'),
    port: int(0, 65535).default(8000),
    bodyLimitKb: int(1, 1024).default(64),
    shutdownGraceMs: int(0, 120_000).default(10_000),
    posTokens: tokenList,
  }),
  buffer: z.strictObject({
    capacity: int(1, 10_000_000).default(10_000),
    maxBatch: int(1, 10_000).default(256),
    /** percent_full at which health turns degraded and a `buffer` warning is published. */
    warnPercent: int(1, 100).default(80),
    /** Hard size limit of box.db in bytes (SQLite max_page_count); absent = the disk is the limit. */
    maxDbBytes: z.coerce.number().int().min(65_536).optional(),
  }).default({ capacity: 10_000, maxBatch: 256, warnPercent: 80 }),
  receipt: z.strictObject({
    defaultVat: z.enum(VAT_CODES).default('vat22'),
  }).default({ defaultVat: 'vat22' }),
  /** The fiscal printer (docs/printer.md); disabled, receipts stay buffered unprinted. */
  printer: printerConfigSchema.extend({
    enabled: z.preprocess((v) => (v === 'true' || v === '1' ? true : v === 'false' || v === '0' ? false : v), z.boolean()).default(false),
  }).prefault({}),
  /** MQTT uplink to the hub (docs/mqtt-topics.md); disabled, documents stay in the buffer. */
  uplink: uplinkConfigSchema.prefault({}),
  health: z.strictObject({
    minFreeDiskBytes: z.coerce.number().int().min(0).default(1_000_000_000),
    diskPollMs: int(1000, 86_400_000).default(60_000),
  }).default({ minFreeDiskBytes: 1_000_000_000, diskPollMs: 60_000 }),
  clock: z.strictObject({
    /** Alarm (health degraded, `clock` status) when the system clock is off by more than this. */
    maxDriftS: int(1, 86_400).default(120),
    /** How often clock references (the printer's RTC) are asked. */
    pollMs: int(1000, 86_400_000).default(600_000),
    /** The printer's clock runs on store local time; its UTC offset. Default: the box's own time zone. */
    printerUtcOffsetMinutes: z.coerce.number().int().min(-720).max(840).optional(),
  }).default({ maxDriftS: 120, pollMs: 600_000 }),
  /** Written by first-boot provisioning (firmware/provisioning): when, and the printer's USB ids. Informational. */
  provisioning: z.object({ at: z.string() }).loose().optional(),
  power: z.strictObject({
    /** Where the power-loss line comes from: a real Pi (onoff), a file-driven simulator, or none. */
    gpio: z.enum(['onoff', 'simulator', 'none']).default('simulator'),
    /** A pin map of hardware/ups/ (id or short alias); pin and lossLevel override it. */
    hat: z.string().default('x728'),
    pin: int(0, 53).optional(),
    lossLevel: z.enum(['high', 'low']).optional(),
    /** Sysfs number of BCM pin 0, for a board whose chip label we do not know. */
    gpioBase: int(0, 4096).optional(),
    debounceMs: int(0, 10_000).default(50),
    graceMs: int(0, 3_600_000).default(30_000),
    retryAfterS: int(1, 3600).default(60),
    /** Run after the box stopped at the end of the grace. Default: systemctl poweroff with onoff, nothing otherwise. */
    poweroffCommand: z.array(z.string().min(1)).optional(),
    /** The simulator's state file ("on"/"off"); default <dataDir>/mains. */
    simulatorFile: z.string().min(1).optional(),
  }).default({ gpio: 'simulator', hat: 'x728', debounceMs: 50, graceMs: 30_000, retryAfterS: 60 }),
}).refine((c) => !c.uplink.enabled || c.uplink.boxId !== undefined || ID_PATTERN.test(c.nodeId), {
  // nodeId allows '.', an MQTT box id does not: caught here, not as a crash when the uplink starts.
  path: ['nodeId'],
  message: 'is also the box id towards the hub when uplink.boxId is not set: letters, digits, _ and - only, starting with a letter or digit (set uplink.boxId, or rename nodeId)',
});

export type BoxConfig = z.output<typeof boxConfigSchema>;
export type BoxConfigInput = z.input<typeof boxConfigSchema>;

export interface LoadOptions {
  file?: string | undefined;
  env?: NodeJS.ProcessEnv;
  /** Values from code (tests, the demo stack), applied between the file and the environment. */
  overrides?: Record<string, unknown>;
}

export function loadBoxConfig(opts: LoadOptions = {}): BoxConfig {
  const env = opts.env ?? process.env;
  const file = opts.file ?? env.BOX_CONFIG;
  const envVals = envOverrides(env, 'BOX');
  delete envVals.config;
  let raw: Record<string, unknown> = file ? readJsonFile(file) : {};
  raw = deepMerge(raw, opts.overrides ?? {});
  raw = deepMerge(raw, envVals);
  if (raw.api === undefined) raw.api = {};
  return parseConfig(boxConfigSchema, raw, file ? `${file} + BOX_* environment` : 'BOX_* environment');
}

export { ConfigError };
