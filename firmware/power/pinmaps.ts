// UPS HAT pin maps (hardware/ups/pinmaps.json): `power.hat` picks a row, explicit
// `power.pin` / `power.lossLevel` override it.
import { readFileSync } from 'node:fs';
import { z } from 'zod';

const rowSchema = z.object({
  name: z.string(),
  powerLossPin: z.number().int().min(0).max(53),
  lossLevel: z.enum(['high', 'low']),
  notes: z.string().optional(),
});
export type PinMap = z.output<typeof rowSchema>;

const PINMAPS_FILE = new URL('../../hardware/ups/pinmaps.json', import.meta.url);

export function loadPinMaps(file: URL | string = PINMAPS_FILE): Record<string, PinMap> {
  const raw = JSON.parse(readFileSync(file, 'utf8')) as Record<string, unknown>;
  delete raw.$comment;
  return z.record(z.string(), rowSchema).parse(raw);
}
