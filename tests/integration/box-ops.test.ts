import { afterEach, describe, expect, it } from 'vitest';
import { rmSync } from 'node:fs';
import { Box } from '../../firmware/box.js';
import { saleBody } from '../helpers/receipts.js';
import { TEST_TOKEN, startTestBox, type TestBox } from '../helpers/box-server.js';

let t: TestBox | null = null;
afterEach(async () => { await t?.stop(); t = null; });

describe('GET /health', () => {
  it('200 healthy with database, disk, uptime and version', async () => {
    t = await startTestBox();
    const res = await t.get('/health', null);
    expect(res.status).toBe(200);
    const body = await res.json() as Record<string, unknown>;
    expect(body).toMatchObject({ status: 'healthy', version: '0.1.0', failing: [] });
    expect(body.components).toMatchObject({ database: { status: 'ok' }, disk: { status: 'ok' } });
    expect(typeof body.uptime_s).toBe('number');
  });

  it('503 naming the disk when free space is under the configured threshold (real systeminformation)', async () => {
    t = await startTestBox({ health: { minFreeDiskBytes: Number.MAX_SAFE_INTEGER } });
    const res = await t.get('/health', null);
    expect(res.status).toBe(503);
    const body = await res.json() as { failing: string[]; components: Record<string, { detail: { free_bytes: number } }> };
    expect(body.failing).toEqual(['disk']);
    expect(body.components.disk?.detail.free_bytes).toBeGreaterThan(0);
  });

  it('503 naming the database when it cannot be written', async () => {
    t = await startTestBox();
    t.box.buffer.db.pragma('query_only = ON');
    const res = await t.get('/health', null);
    expect(res.status).toBe(503);
    expect((await res.json() as { failing: string[] }).failing).toEqual(['database']);
    t.box.buffer.db.pragma('query_only = OFF');
  });

  it('a sale the database cannot store gets 503 "not stored", and health names the database', async () => {
    t = await startTestBox();
    t.box.buffer.db.pragma('query_only = ON');
    const res = await t.post(saleBody());
    expect(res.status).toBe(503);
    const body = await res.json() as { detail: string };
    expect(body.detail).toMatch(/nothing was saved/);
    expect((await t.get('/health', null)).status).toBe(503);
    t.box.buffer.db.pragma('query_only = OFF');
    expect(t.box.buffer.status().current_queued).toBe(0);
  });

  it('takes more named checks (printer, uplink, power plug in later)', async () => {
    t = await startTestBox();
    t.box.health.register({ name: 'printer', check: () => ({ ok: false, detail: 'paper out' }) });
    const body = await (await t.get('/health', null)).json() as { failing: string[]; components: Record<string, unknown> };
    expect(body.failing).toEqual(['printer']);
    expect(body.components.printer).toEqual({ status: 'fail', detail: 'paper out' });
  });
});

describe('GET /v1/kkt/buffer/status and /metrics', () => {
  it('buffer status follows posted receipts', async () => {
    t = await startTestBox({ buffer: { capacity: 200 } });
    for (let i = 0; i < 3; i++) expect((await t.post(saleBody())).status).toBe(201);
    const s = await (await t.get('/v1/kkt/buffer/status')).json() as Record<string, unknown>;
    expect(s).toMatchObject({ total_capacity: 200, current_queued: 3, percent_full: 1.5, dlq_count: 0 });
    expect(s.oldest_pending_age_s).toBeGreaterThanOrEqual(0);
  });

  it('/metrics has default metrics, request latency, receipts by status and buffer depth', async () => {
    t = await startTestBox();
    await t.post(saleBody());
    await t.post(saleBody(), { key: null });
    const text = await (await t.get('/metrics', null)).text();
    expect(text).toMatch(/process_cpu_user_seconds_total/);
    expect(text).toMatch(/box_http_request_duration_seconds_count\{method="POST",route="\/v1\/kkt\/receipt",status="201"\} 1/);
    expect(text).toMatch(/box_receipts\{status="buffered"\} 1/);
    expect(text).toMatch(/box_buffer_depth 1/);
    expect(text).toMatch(/box_receipt_requests_total\{outcome="rejected"\} 1/);
  });

  it('unknown routes are 404 problem+json', async () => {
    t = await startTestBox();
    const res = await t.get('/v1/nope');
    expect(res.status).toBe(404);
    expect(res.headers.get('content-type')).toContain('application/problem+json');
    await t.box.stop();
    await expect(t.box.stop()).resolves.toBeUndefined(); // a second stop (SIGTERM after SIGINT) is harmless
  });
});

describe('durability across restarts', () => {
  it('an acknowledged receipt survives a restart (wall clock at 1970) and its key still replays', async () => {
    t = await startTestBox();
    const key = 'restart-key-1';
    const first = await (await t.post(saleBody(), { key })).json() as { receipt_id: string; hlc: string };
    await t.box.stop();
    const again = new Box(t.box.config, { log: t.box.log, wallClock: () => 0 });
    const url = await again.start();
    const post = (k: string) => fetch(`${url}/v1/kkt/receipt`, {
      method: 'POST', body: JSON.stringify(saleBody()),
      headers: { 'content-type': 'application/json', 'idempotency-key': k, authorization: `Bearer ${TEST_TOKEN}` },
    });
    try {
      const replay = await post(key);
      expect(replay.status).toBe(201);
      expect((await replay.json() as { receipt_id: string }).receipt_id).toBe(first.receipt_id);
      const next = await (await post('restart-key-2')).json() as { hlc: string };
      expect(next.hlc > first.hlc).toBe(true);
    } finally {
      await again.stop();
      rmSync(t.dataDir, { recursive: true, force: true });
      t = null;
    }
  });
});
