// Hub configuration: defaults < JSON file (HUB_CONFIG) < environment (HUB_*, e.g.
// HUB_MQTT__PORT=1884, HUB_OFD__URL=...). Validated once; every bad key is named at once.
import { z } from 'zod';
import { deepMerge, envOverrides, parseConfig, readJsonFile } from '../shared/config.js';
import { isValidId } from '../shared/mqtt/topics.js';

const int = (min: number, max: number) => z.coerce.number().int().min(min).max(max);
const bool = z.union([z.boolean(), z.enum(['true', 'false', '1', '0'])]).transform((v) => v === true || v === 'true' || v === '1');
const secret = z.string().min(12, 'must be at least 12 characters');

export const hubConfigSchema = z.strictObject({
  dataDir: z.string().min(1),
  mqtt: z.strictObject({
    /** Run the embedded aedes broker; false means `url` points at an external broker. */
    embedded: bool,
    host: z.string().min(1),
    port: int(0, 65535),
    url: z.string().regex(/^mqtts?:\/\//, 'must be mqtt:// or mqtts://').optional(),
    username: z.string().regex(/^_[A-Za-z0-9_-]{1,63}$/, 'service usernames start with _'),
    password: secret,
    /**
     * Largest MQTT packet a box may send to the embedded broker; a bigger one closes its
     * connection. The floor keeps the largest valid receipt (100 items, 64 KiB TLV) in.
     */
    maxPacketBytes: int(256 * 1024, 268_435_455),
  }),
  http: z.strictObject({
    host: z.string().min(1),
    port: int(0, 65535),
    /** Bearer token for /api/* operator endpoints. */
    operatorToken: secret,
  }),
  ofd: z.strictObject({
    url: z.url(),
    apiKey: z.string().min(1),
    breakerFailures: int(1, 1000),
    halfOpenAfterMs: int(100, 3_600_000),
    halfOpenProbes: int(1, 100),
    requestTimeoutMs: int(100, 600_000),
    concurrency: int(1, 256),
    backoffInitialMs: int(1, 3_600_000),
    backoffMaxMs: int(1, 3_600_000),
    maxAttempts: int(1, 1000),
    /** Documents of one box per OFD batch request (HLC order); 1 = one request per document. */
    batchSize: int(1, 1000),
  }),
  fleet: z.strictObject({
    heartbeatPeriodMs: int(100, 3_600_000),
    missedToOffline: int(1, 100),
    heartbeatsToOnline: int(1, 100),
  }),
  /** The optics ERP served by the hub (pages + /api/v1) and fed by the ingest. */
  erp: z.strictObject({
    enabled: bool,
    /** Demo lens catalog, frames and import profiles on a fresh database. */
    demo: bool,
    /** The first admin, created on first start (an existing user keeps its password). */
    adminUser: z.string().regex(/^[a-z0-9._-]{3,32}$/, 'must be 3-32 of a-z 0-9 . _ -'),
    adminPassword: z.string().min(8, 'must be at least 8 characters'),
    lang: z.string().min(2).max(8),
    /** Time zone the pages show times in (stored times are UTC): the chain's head office. */
    timeZone: z.string().refine(isTimeZone, 'must be an IANA time zone such as Europe/Moscow or Asia/Yekaterinburg'),
    /** Retry backoff of a fiscal document the ERP could not record. */
    retryInitialMs: int(1, 3_600_000),
    retryMaxMs: int(1, 86_400_000),
  }),
  /** Boxes provisioned at start (demo and tests); production uses `npm run hub:box`. */
  boxes: z.array(z.strictObject({
    store: z.string().refine(isValidId, 'invalid store id'),
    box: z.string().refine(isValidId, 'invalid box id'),
    secret,
  })),
});
export type HubConfig = z.output<typeof hubConfigSchema>;

export const HUB_DEFAULTS = {
  dataDir: './data/hub',
  mqtt: { embedded: true, host: '127.0.0.1', port: 1883, username: '_hub', password: 'change-me-hub-service-secret', maxPacketBytes: 1024 * 1024 },
  http: { host: '127.0.0.1', port: 8080, operatorToken: 'change-me-operator-token' },
  ofd: {
    url: 'http://127.0.0.1:9100', apiKey: 'test-ofd-api-key',
    breakerFailures: 5, halfOpenAfterMs: 60_000, halfOpenProbes: 2, requestTimeoutMs: 10_000, concurrency: 4,
    backoffInitialMs: 1000, backoffMaxMs: 60_000, maxAttempts: 20, batchSize: 200,
  },
  fleet: { heartbeatPeriodMs: 30_000, missedToOffline: 3, heartbeatsToOnline: 2 },
  erp: { enabled: true, demo: true, adminUser: 'admin', adminPassword: 'optics-demo-2026', lang: 'ru', timeZone: 'Europe/Moscow', retryInitialMs: 1000, retryMaxMs: 600_000 },
  boxes: [],
};

function isTimeZone(tz: string): boolean {
  try {
    new Intl.DateTimeFormat('en', { timeZone: tz });
    return true;
  } catch {
    return false;
  }
}

export function loadHubConfig(env: NodeJS.ProcessEnv = process.env, overrides: Record<string, unknown> = {}): HubConfig {
  let raw: Record<string, unknown> = deepMerge(HUB_DEFAULTS, overrides);
  if (env.HUB_CONFIG) raw = deepMerge(raw, readJsonFile(env.HUB_CONFIG));
  const { config: _file, ...fromEnv } = envOverrides(env, 'HUB');
  raw = deepMerge(raw, fromEnv);
  return parseConfig(hubConfigSchema, raw, env.HUB_CONFIG ? `${env.HUB_CONFIG} + HUB_* env` : 'defaults + HUB_* env');
}
