// Seed W4.2 on the box: heartbeat payload, 30 s period, link hysteresis both ways.
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { LinkMonitor } from '../../firmware/uplink/link-state.js';
import { Heartbeat, readSystemFacts } from '../../firmware/uplink/heartbeat.js';
import { Uplink } from '../../firmware/uplink/uplink.js';
import { syntheticFnBridge } from '../../firmware/uplink/fn-bridge.js';
import { ReceiptBuffer } from '../../firmware/buffer/receipt-buffer.js';
import { HybridLogicalClock } from '../../firmware/clock/hlc.js';
import { heartbeatMessage, parsePayload } from '../../shared/mqtt/messages.js';
import { silentLogger } from '../../shared/logger.js';
import { tempDir } from '../support/hub-fixture.js';
import { join } from 'node:path';

describe('link hysteresis (seed W4.2)', () => {
  it('test_heartbeat_hysteresis_offline: 3 failures in a row take it offline, 2 do not', () => {
    const changes: string[] = [];
    const l = new LinkMonitor(3, 2, (s) => changes.push(s));
    l.success(); l.success();
    expect(l.state).toBe('online');
    l.failure(); l.failure();
    expect(l.state).toBe('online');
    l.success(); l.failure(); l.failure();
    expect(l.state).toBe('online');
    l.failure();
    expect(l.state).toBe('offline');
    expect(changes).toEqual(['online', 'offline']);
  });
  it('test_heartbeat_hysteresis_online: 2 successes in a row bring it back, 1 does not', () => {
    const l = new LinkMonitor();
    l.success();
    expect(l.state).toBe('offline');
    l.failure(); l.success();
    expect(l.state).toBe('offline');
    l.success();
    expect(l.state).toBe('online');
  });
});

describe('heartbeat (seed W4.2)', () => {
  let tmp: ReturnType<typeof tempDir>;
  let buffer: ReceiptBuffer;
  let uplink: Uplink;
  let sent: Buffer[];
  let answer: boolean;
  beforeEach(() => {
    vi.useFakeTimers({ now: new Date('2026-11-25T10:00:00Z') });
    tmp = tempDir();
    buffer = ReceiptBuffer.open(join(tmp.dir, 'box.db'), { clock: new HybridLogicalClock({ node: 'box01' }), capacity: 1000 });
    uplink = new Uplink({ enabled: true, url: 'mqtt://127.0.0.1:1', storeId: 's1', boxId: 'b1', secret: 'x'.repeat(12), window: 10, ackTimeoutMs: 1000, heartbeatMs: 30_000, pollMs: 1000 },
      buffer, syntheticFnBridge(), silentLogger());
    sent = [];
    answer = true;
    uplink.publishHeartbeat = async (p: Buffer) => { sent.push(p); return answer; };
  });
  afterEach(() => { buffer.close(); tmp.cleanup(); vi.useRealTimers(); });

  const facts = async () => ({ cpu_temp_c: null, load1: 0.5, mem_used_pct: 30, disk_free_bytes: 5e9 });

  it('test_heartbeat_payload + test_heartbeat_success: the payload validates and carries buffer, printer, link and system facts', async () => {
    const hb = new Heartbeat(uplink, buffer, { periodMs: 30_000, dataDir: tmp.dir, version: '0.1.0', printerState: () => 'connected', facts }, silentLogger());
    expect(await hb.beat()).toBe(true);
    const r = parsePayload(heartbeatMessage, sent[0]!);
    expect(r.ok && r.value).toMatchObject({
      store_id: 's1', box_id: 'b1', seq: 0, version: '0.1.0',
      buffer: { pending: 0, delivered_unsynced: 0, dlq: 0, capacity: 1000, percent: 0 },
      printer: { state: 'connected', fn_docs_without_ticket: null, fn_oldest_without_ticket_age_s: null },
      link: { state: 'offline' }, system: { cpu_temp_c: null, load1: 0.5 },
    });
  });

  it('carries the box\'s own health in short, and still beats when the health report fails', async () => {
    const degraded = new Heartbeat(uplink, buffer, { periodMs: 30_000, dataDir: tmp.dir, version: '0.1.0', printerState: () => 'connected', facts,
      health: async () => ({ status: 'degraded', failing: [], degraded: ['buffer', 'clock'] }) }, silentLogger());
    await degraded.beat();
    const r = parsePayload(heartbeatMessage, sent[0]!);
    expect(r.ok && r.value.health).toEqual({ status: 'degraded', failing: [], degraded: ['buffer', 'clock'] });
    const broken = new Heartbeat(uplink, buffer, { periodMs: 30_000, dataDir: tmp.dir, version: '0.1.0', printerState: () => 'connected', facts,
      health: () => Promise.reject(new Error('disk probe hung')) }, silentLogger());
    expect(await broken.beat()).toBe(true);
    const r2 = parsePayload(heartbeatMessage, sent[1]!);
    expect(r2.ok && r2.value.health).toBeUndefined();
  });

  it('carries the FN\'s count and oldest age of documents without a ticket when the FN can say', async () => {
    Object.assign(uplink.fn, { unconfirmed: async () => 4, oldestUnconfirmedAgeS: async () => 86_400 });
    const hb = new Heartbeat(uplink, buffer, { periodMs: 30_000, dataDir: tmp.dir, version: '0.1.0', printerState: () => 'connected', facts }, silentLogger());
    await hb.beat();
    const r = parsePayload(heartbeatMessage, sent[0]!);
    expect(r.ok && r.value.printer).toEqual({ state: 'connected', fn_docs_without_ticket: 4, fn_oldest_without_ticket_age_s: 86_400 });
  });

  it('beats every 30 s; failed beats take the link offline after 3, good ones bring it back after 2', async () => {
    const hb = new Heartbeat(uplink, buffer, { periodMs: 30_000, dataDir: tmp.dir, version: '0.1.0', printerState: () => 'none', facts }, silentLogger());
    hb.start();
    await vi.advanceTimersByTimeAsync(29_999);
    expect(sent).toHaveLength(0);
    await vi.advanceTimersByTimeAsync(1);
    expect(sent).toHaveLength(1);
    await vi.advanceTimersByTimeAsync(30_000);
    expect(hb.link.state).toBe('online');
    answer = false;
    await vi.advanceTimersByTimeAsync(60_000);
    expect(hb.link.state).toBe('online');
    await vi.advanceTimersByTimeAsync(30_000);
    expect(hb.link.state).toBe('offline');
    answer = true;
    await vi.advanceTimersByTimeAsync(30_000);
    expect(hb.link.state).toBe('offline');
    await vi.advanceTimersByTimeAsync(30_000);
    expect(hb.link.state).toBe('online');
    expect(sent).toHaveLength(7);
    hb.stop();
  });
});

describe('system facts', () => {
  it('find the disk that holds the data dir, also when the dir is given relative (the demo\'s ./data/box)', async () => {
    expect((await readSystemFacts('.'))?.disk_free_bytes ?? 0).toBeGreaterThan(0);
    expect((await readSystemFacts(process.cwd()))?.disk_free_bytes ?? 0).toBeGreaterThan(0);
  });
});
