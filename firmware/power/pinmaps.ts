// UPS HAT pin maps come from hardware/ups/<id>.json (one validated file per HAT, see
// hardware/ups/pinmap.ts). `power.hat` names one by id or by its short alias (x728, x1200);
// explicit `power.pin` / `power.lossLevel` override it.
import { listPinMaps, loadPinMap } from '../../hardware/ups/pinmap.js';

export interface PinMapRow {
  name: string;
  powerLossPin: number;
  lossLevel: 'high' | 'low';
}

/** Every shipped map by id and by short alias ("geekworm-x728" is also "x728"). */
export function loadPinMaps(): Record<string, PinMapRow> {
  const out: Record<string, PinMapRow> = {};
  for (const id of listPinMaps()) {
    const map = loadPinMap(id);
    const row: PinMapRow = { name: map.name, powerLossPin: map.powerLoss.gpio, lossLevel: map.powerLoss.activeLow ? 'low' : 'high' };
    out[id] = row;
    const alias = id.replace(/^[a-z]+-/, '');
    if (alias !== id && !(alias in out)) out[alias] = row;
  }
  return out;
}
