// The power status maps onto the uplink's MQTT contract (hub branch: shared/mqtt powerMessage).
import { describe, expect, it } from 'vitest';
import { toPowerContract } from '../../firmware/power/power-message.js';

const at = '2026-11-25T12:00:00.000Z';

describe('power status -> MQTT contract', () => {
  it('maps mains, battery and shutting down', () => {
    expect(toPowerContract({ node: 'box01', state: 'mains', mains: true, at, reason: 'start' }))
      .toEqual({ v: 1, source: 'mains', battery_pct: null, state: 'ok', at, sequence: 'mains', reason: 'start' });
    expect(toPowerContract({ node: 'box01', state: 'on_battery', mains: false, at, grace_ms: 30000 }))
      .toMatchObject({ source: 'battery', state: 'ok', grace_ms: 30000, sequence: 'on_battery' });
    expect(toPowerContract({ node: 'box01', state: 'shutting_down', mains: false, at, power_off: true }))
      .toMatchObject({ source: 'battery', state: 'shutting_down', power_off: true });
    expect(toPowerContract({ node: 'box01', state: 'shutting_down', mains: true, at, reason: 'SIGTERM' }))
      .toMatchObject({ source: 'mains', state: 'shutting_down' });
  });
});
