// Time without an RTC: the wall clock jumps back (boot before NTP) and forward (NTP step);
// receipts keep their HLC order across the jumps and a restart, and the drift alarm follows
// the printer's and the hub's clocks.
import { afterEach, describe, expect, it } from 'vitest';
import { ClockWatch, remoteTimeMs } from '../../firmware/clock/clock-watch.js';
import { formatHlc } from '../../firmware/clock/hlc.js';
import type { StatusPublisher } from '../../firmware/status-publisher.js';
import { silentLogger } from '../../shared/logger.js';
import { startTestBox, type TestBox } from '../helpers/box-server.js';
import { instantPrinter, saleBody } from '../helpers/receipts.js';

let t: TestBox | null = null;
let t2: TestBox | null = null;
afterEach(async () => { await t2?.stop(); await t?.stop(); t = null; t2 = null; });

const HOUR = 3_600_000;
const TRUE_NOW = Date.parse('2026-11-25T12:00:00Z');

describe('ClockWatch', () => {
  it('raises the alarm beyond maxDriftS against the printer, clears it when NTP fixes the clock', async () => {
    let wall = Date.parse('1970-01-01T00:01:00Z'); // booted without RTC, before NTP
    const published: Record<string, unknown>[] = [];
    const status: StatusPublisher = { publish: async (subject, s) => { if (subject === 'clock') published.push(s); } };
    const printer = { name: 'printer', read: async () => TRUE_NOW };
    const w = new ClockWatch([printer], status, silentLogger(), 'box01', { maxDriftS: 120, pollMs: 60_000, wallClock: () => wall });
    await w.poll();
    expect(w.alarm).toBe(true);
    expect(w.check()).toMatchObject({ ok: true, degraded: true });
    expect(published.at(-1)).toMatchObject({ state: 'drift', max_drift_s: 120 });
    expect(w.snapshot.get('printer')!.offset_s).toBeLessThan(-1e9);
    wall = TRUE_NOW + 90_000; // NTP stepped; 90 s off is within the threshold
    await w.poll();
    expect(w.alarm).toBe(false);
    expect(published.at(-1)).toMatchObject({ state: 'ok' });
    expect(w.snapshot.get('printer')!.offset_s).toBe(90);
  });

  it('an unreadable printer clock is no reading, not a drift', async () => {
    const w = new ClockWatch([{ name: 'printer', read: async () => { throw new Error('port closed'); } }],
      { publish: async () => {} }, silentLogger(), 'box01', { maxDriftS: 120, pollMs: 60_000 });
    await w.poll();
    expect(w.alarm).toBe(false);
    expect(w.snapshot.size).toBe(0);
  });

  it('reads hub (HLC) and OFD (ISO) times', () => {
    expect(remoteTimeMs(formatHlc({ wall: TRUE_NOW, counter: 3, node: 'hub' }))).toBe(TRUE_NOW);
    expect(remoteTimeMs('2026-11-25T12:00:00Z')).toBe(TRUE_NOW);
    expect(remoteTimeMs('yesterday')).toBeNull();
  });
});

describe('clock jumps on a box without RTC', () => {
  it('HLC order holds when the wall clock jumps back and forward, and across a restart; the hub ack raises the drift alarm', async () => {
    let wall = TRUE_NOW;
    t = await startTestBox({}, { wallClock: () => wall, fiscaliser: instantPrinter() });
    const hlcs: string[] = [];
    const post = async () => {
      const res = await t!.post(saleBody());
      expect(res.status).toBe(201);
      hlcs.push(((await res.json()) as { hlc: string }).hlc);
    };
    await post();
    wall -= 2 * HOUR; // back: the clock is re-read from a stale source
    await post();
    await post();
    wall += 5 * HOUR; // forward: NTP stepped
    await post();
    wall -= 10 * HOUR; // far back again
    await post();
    expect([...hlcs].sort()).toEqual(hlcs);
    expect(new Set(hlcs).size).toBe(hlcs.length);

    // The hub acknowledges with its (right) time: the system clock is 7 h behind -> alarm.
    const [first] = t.box.buffer.pending(1);
    t.box.buffer.markDelivered(first!.id, formatHlc({ wall: TRUE_NOW + 3 * HOUR, counter: 0, node: 'hub' }));
    await expect.poll(async () => ((await (await t!.get('/health')).json()) as { degraded: string[] }).degraded).toEqual(['clock']);
    expect(await (await t.get('/metrics')).text()).toMatch(/box_clock_offset_seconds\{source="hub"\} -36000/);

    // Restart with the wall clock still behind: stamps continue above everything issued.
    const dir = t.dataDir;
    await t.box.stop();
    t2 = await startTestBox({ dataDir: dir }, { wallClock: () => wall });
    const res = await t2.post(saleBody());
    const after = ((await res.json()) as { hlc: string }).hlc;
    expect(after > hlcs.at(-1)!).toBe(true);
  });
});
