// UPS HAT pin maps: JSON files beside this module, one per HAT, validated on load so the
// power module can trust `powerLoss.gpio` and `activeLow`. pinmap.schema.json says the same
// for non-TypeScript readers; the test keeps the two in step.
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { z } from 'zod';

export const PinMapSchema = z.strictObject({
  $schema: z.string().optional(),
  id: z.string().regex(/^[a-z0-9-]+$/),
  name: z.string().min(1),
  boards: z.array(z.string()).min(1),
  gpioNumbering: z.literal('bcm'),
  powerLoss: z.strictObject({
    gpio: z.number().int().min(0).max(27),
    activeLow: z.boolean(),
    meaning: z.string().optional(),
  }),
  fuelGauge: z
    .strictObject({ i2cBus: z.number().int().min(0), address: z.string().regex(/^0x[0-7][0-9a-f]$/), chip: z.string() })
    .optional(),
  notes: z.array(z.string()).optional(),
});
export type PinMap = z.infer<typeof PinMapSchema>;

const DIR = import.meta.dirname;

export function listPinMaps(dir = DIR): string[] {
  return readdirSync(dir)
    .filter((f) => f.endsWith('.json') && f !== 'pinmap.schema.json')
    .map((f) => f.slice(0, -'.json'.length))
    .sort();
}

export function loadPinMap(id: string, dir = DIR): PinMap {
  if (!/^[a-z0-9-]+$/.test(id)) throw new Error(`bad UPS pin map id '${id}'`);
  const file = join(dir, `${id}.json`);
  let raw: unknown;
  try {
    raw = JSON.parse(readFileSync(file, 'utf8'));
  } catch (err) {
    throw new Error(`UPS pin map '${id}': cannot read ${file}: ${(err as Error).message}`);
  }
  const r = PinMapSchema.safeParse(raw);
  if (!r.success) {
    throw new Error(`UPS pin map '${id}' is invalid: ${r.error.issues.map((i) => `${i.path.join('.')}: ${i.message}`).join('; ')}`);
  }
  if (r.data.id !== id) throw new Error(`UPS pin map file ${id}.json declares id '${r.data.id}'`);
  return r.data;
}

/** True when the line's value means "mains lost" for this HAT. */
export function isPowerLost(map: PinMap, value: 0 | 1): boolean {
  return map.powerLoss.activeLow ? value === 0 : value === 1;
}
