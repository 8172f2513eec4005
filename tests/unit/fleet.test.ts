// Fleet hysteresis with fake timers: 3 missed 30 s heartbeats or the last will -> offline;
// 2 heartbeats -> online.
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { Fleet } from '../../hub/fleet/fleet.js';
import type { HeartbeatMessage } from '../../shared/mqtt/messages.js';
import { heartbeatMessage } from '../../shared/mqtt/messages.js';

const A = { store: 'store-1', box: 'box-1' };
let seq = 0;
const hb = (): HeartbeatMessage => heartbeatMessage.parse({
  v: 1, store_id: A.store, box_id: A.box, seq: seq++, sent_at: new Date().toISOString(), uptime_s: 10,
  buffer: { pending: 3, percent: 0.3, oldest_pending_age_s: 12 },
  printer: { state: 'ready', fn_docs_without_ticket: 3 },
  link: { state: 'online' },
});

describe('fleet hysteresis', () => {
  let fleet: Fleet;
  beforeEach(() => { vi.useFakeTimers({ now: new Date('2026-11-25T10:00:00Z') }); fleet = new Fleet(); fleet.register(A); });
  afterEach(() => { fleet.stop(); vi.useRealTimers(); });

  it('a registered box is unknown until it speaks; one heartbeat is not enough; two make it online', () => {
    expect(fleet.get(A)?.state).toBe('unknown');
    fleet.onHeartbeat(A, hb());
    expect(fleet.get(A)?.state).toBe('unknown');
    vi.advanceTimersByTime(30_000);
    fleet.onHeartbeat(A, hb());
    expect(fleet.get(A)).toMatchObject({ state: 'online', heartbeat: { buffer: { pending: 3 } } });
  });

  it('goes offline only after 3 missed heartbeats (90 s), not after 1 or 2', () => {
    fleet.onHeartbeat(A, hb());
    fleet.onHeartbeat(A, hb());
    vi.advanceTimersByTime(89_000);
    expect(fleet.get(A)?.state).toBe('online');
    vi.advanceTimersByTime(1_000);
    expect(fleet.get(A)).toMatchObject({ state: 'offline', reason: '3 heartbeats missed' });
  });

  it('a heartbeat every 30 s keeps it online indefinitely; one late heartbeat does not flap it', () => {
    for (let i = 0; i < 10; i++) { fleet.onHeartbeat(A, hb()); vi.advanceTimersByTime(30_000); }
    vi.advanceTimersByTime(55_000); // one missed + late
    fleet.onHeartbeat(A, hb());
    expect(fleet.get(A)?.state).toBe('online');
  });

  it('the last will makes it offline at once; it needs 2 fresh heartbeats to return', () => {
    const changes: string[] = [];
    fleet.on('change', (v) => changes.push(v.state));
    fleet.onHeartbeat(A, hb());
    fleet.onHeartbeat(A, hb());
    fleet.onStatus(A, { v: 1, state: 'offline', at: new Date().toISOString(), reason: 'last will' });
    expect(fleet.get(A)?.state).toBe('offline');
    fleet.onHeartbeat(A, hb());
    expect(fleet.get(A)?.state).toBe('offline');
    fleet.onHeartbeat(A, hb());
    expect(changes).toEqual(['online', 'offline', 'online']);
  });
});
