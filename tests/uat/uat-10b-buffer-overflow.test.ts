// UAT-10b (seed: "Переполнение буфера (200 чеков)"): with the hub unreachable the buffer
// fills to its capacity of 200. At 80 % health is degraded, the metric and the retained
// `buffer` status say so; at 200 a new sale gets a clear 507 naming cause and action;
// nothing stored is dropped or overwritten; sales resume as the backlog drains.
import { afterEach, describe, expect, it } from 'vitest';
import { randomUUID } from 'node:crypto';
import { startTestBox, type TestBox } from '../helpers/box-server.js';
import { instantPrinter, saleBody } from '../helpers/receipts.js';

let t: TestBox | null = null;
afterEach(async () => { await t?.stop(); t = null; });

async function postMany(t: TestBox, n: number, from: number): Promise<{ id: string; status: number }[]> {
  const out: { id: string; status: number }[] = [];
  for (let i = 0; i < n; i += 20) {
    const chunk = await Promise.all(Array.from({ length: Math.min(20, n - i) }, async (_, j) => {
      const res = await t.post(saleBody({ pos_id: `POS-${(from + i + j) % 4}` }));
      return { id: ((await res.json()) as { receipt_id: string }).receipt_id, status: res.status };
    }));
    out.push(...chunk);
  }
  return out;
}

describe('UAT-10b: buffer overflow (200 receipts)', () => {
  it('test_uat_10b_buffer_overflow: warns at 80 %, refuses at capacity with 507, drops nothing, resumes as it drains', async () => {
    const published: Record<string, unknown>[] = [];
    // The printer works (every sale is fiscalised); the hub is unreachable, so nothing drains.
    t = await startTestBox({ buffer: { capacity: 200 } }, {
      fiscaliser: instantPrinter(),
      status: { publish: async (subject, s) => { if (subject === 'buffer') published.push(s); } },
    });
    const first = await postMany(t, 159, 0);
    expect(first.every((r) => r.status === 201)).toBe(true);
    expect(((await (await t.get('/health')).json()) as { status: string }).status).toBe('healthy');

    const more = await postMany(t, 1, 159); // 160 = 80 %
    expect(more[0]!.status).toBe(201);
    const health = await t.get('/health');
    expect(health.status).toBe(200);
    expect(await health.json()).toMatchObject({ status: 'degraded', degraded: ['buffer'], components: { buffer: { status: 'degraded' } } });
    expect(published.at(-1)).toMatchObject({ state: 'warning', queued: 160, capacity: 200 });
    const metrics = await (await t.get('/metrics')).text();
    expect(metrics).toMatch(/box_buffer_fill_state\{state="warning"\} 1/);
    expect(metrics).toMatch(/box_buffer_fill_ratio 0\.8/);

    const rest = await postMany(t, 40, 160);
    expect(rest.every((r) => r.status === 201)).toBe(true);
    const acknowledged = [...first, ...more, ...rest].map((r) => r.id);
    expect(new Set(acknowledged).size).toBe(200);

    const key = randomUUID();
    const refused = await t.post(saleBody(), { key });
    expect(refused.status).toBe(507);
    expect(refused.headers.get('retry-after')).toBe('60');
    const problem = await refused.json() as { type: string; detail: string; cashier_message: string };
    expect(problem.type).toMatch(/buffer-full$/);
    expect(problem.detail).toMatch(/capacity 200/);
    expect(problem.detail).toMatch(/Action: restore the box's network/);
    expect(problem.cashier_message).toMatch(/очередь/);
    expect(published.at(-1)).toMatchObject({ state: 'full' });
    expect((await t.get('/health')).status).toBe(503);
    const status = await (await t.get('/v1/kkt/buffer/status')).json();
    expect(status).toMatchObject({ current_queued: 200, percent_full: 100, fill_state: 'full' });

    // Nothing dropped or overwritten: every acknowledged receipt is still there, unchanged.
    for (const id of acknowledged) expect(t.box.buffer.get(id)?.status).toBe('printed');
    expect(t.box.buffer.getByIdempotencyKey(key)).toBeNull();

    // The uplink drains 50 (hub acknowledged, OFD synced): sales resume with the same key.
    for (const id of t.box.buffer.pending(50).map((r) => r.id)) t.box.buffer.markSynced(id, new Date().toISOString());
    const retry = await t.post(saleBody(), { key });
    expect(retry.status).toBe(201);
    await t.box.fill.update();
    expect(published.at(-1)).toMatchObject({ state: 'ok', queued: 151 });
    expect(((await (await t.get('/health')).json()) as { status: string }).status).toBe('healthy');
  });
});
