// A full disk, simulated honestly with SQLite's own size limit (buffer.maxDbBytes ->
// PRAGMA max_page_count): SQLite fails the write with SQLITE_FULL exactly as on ENOSPC.
// The POS gets a clear 507 saying nothing was stored; the database is not corrupted; every
// receipt acknowledged before stays; with room again, sales resume.
import { afterEach, describe, expect, it } from 'vitest';
import { randomUUID } from 'node:crypto';
import { join } from 'node:path';
import { integrityCheck, openDatabase } from '../../shared/db.js';
import { startTestBox, type TestBox } from '../helpers/box-server.js';
import { saleBody } from '../helpers/receipts.js';

let t: TestBox | null = null;
afterEach(async () => { await t?.stop(); t = null; });

const big = () => saleBody({ items: [{ name: `Frame ${'y'.repeat(120)}`, qty: 1, price: 500 }], payments: [{ method: 'cash', amount: 500 }] });

describe('disk full', () => {
  it('gives a clear 507, keeps every acknowledged receipt, and leaves an intact database', async () => {
    t = await startTestBox({ buffer: { maxDbBytes: 160_000 } });
    const acknowledged: string[] = [];
    let refused: Response | null = null;
    let refusedKey = '';
    for (let i = 0; i < 2000 && !refused; i++) {
      const key = randomUUID();
      const res = await t.post(saleBody({ items: [{ name: `Lens ${i} ${'x'.repeat(100)}`, qty: 1, price: 1000 }] }), { key });
      if (res.status === 201) acknowledged.push(((await res.json()) as { receipt_id: string }).receipt_id);
      else { refused = res; refusedKey = key; }
    }
    expect(acknowledged.length).toBeGreaterThan(10);
    expect(refused?.status).toBe(507);
    const problem = await refused!.json() as { type: string; detail: string; cashier_message: string };
    expect(problem.type).toMatch(/storage-full$/);
    expect(problem.detail).toMatch(/nothing was saved/);
    expect(t.box.buffer.getByIdempotencyKey(refusedKey)).toBeNull();
    // Reads still work while full (the POS can look its receipts up).
    expect((await t.get(`/v1/kkt/receipt/${acknowledged[0]}`)).status).toBe(200);
    const dir = t.dataDir;
    await t.box.stop();

    const db = openDatabase(join(dir, 'box.db'));
    expect(integrityCheck(db)).toEqual({ ok: true });
    const ids = new Set((db.prepare('SELECT id FROM receipts').all() as { id: string }[]).map((r) => r.id));
    db.close();
    for (const id of acknowledged) expect(ids.has(id)).toBe(true);
    expect(ids.size).toBe(acknowledged.length);
  });

  it('after room is made (bigger limit), the same key is accepted', async () => {
    t = await startTestBox({ buffer: { maxDbBytes: 100_000 } });
    let key = '';
    for (let i = 0; i < 2000; i++) {
      key = randomUUID();
      const status = (await t.post(big(), { key })).status;
      if (status === 507) break;
      expect(status).toBe(201);
    }
    t.box.buffer.db.pragma('max_page_count = 1000000');
    const res = await t.post(big(), { key });
    expect(res.status).toBe(201);
  });
});
