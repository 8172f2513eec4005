import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { join } from 'node:path';
import { fork } from 'node:child_process';
import { openDatabase } from '../../shared/db.js';
import { HybridLogicalClock } from '../../firmware/clock/hlc.js';
import { BufferError, ReceiptBuffer } from '../../firmware/buffer/receipt-buffer.js';
import { UPLOADABLE_STATUSES } from '../../firmware/buffer/statuses.js';
import { BUFFER_MIGRATIONS } from '../../firmware/buffer/migrations.js';
import { saleReceipt } from '../helpers/receipts.js';
import { tempDir } from '../helpers/temp-dir.js';

let dir: { path: string; remove(): void };
let file: string;
let wallMs: number;
let clock: HybridLogicalClock;
let buf: ReceiptBuffer;

const req = (key: string, total = 1000) => ({
  idempotencyKey: key, requestHash: `hash-${key}`, receipt: saleReceipt({ items: [{ name: 'Lens', qty: 1, price: total }], payments: [{ method: 'card', amount: total }] }),
});

beforeEach(() => {
  dir = tempDir();
  file = join(dir.path, 'box.db');
  wallMs = 1_700_000_000_000;
  clock = new HybridLogicalClock({ node: 'box01', wallClock: () => wallMs });
  buf = new ReceiptBuffer(openDatabase(file), { clock, capacity: 200, now: () => new Date(wallMs) });
});
afterEach(() => {
  try { buf.close(); } catch { /* already closed by the test */ }
  dir.remove();
});

describe('receipt buffer', () => {
  it('test_insert_receipt: stores a receipt durably with status buffered, an HLC and an event', () => {
    const r = buf.insert(req('k1'));
    expect(r).toMatchObject({ status: 'buffered', idempotencyKey: 'k1', requestHash: 'hash-k1', retryCount: 0, total: 100000 });
    expect(r.id).toMatch(/^[0-9a-f-]{36}$/);
    expect(r.hlc).toMatch(/^001700000000000-00000000-box01$/);
    expect(buf.get(r.id)?.receipt.items[0]?.name).toBe('Lens');
    expect(buf.get(r.id)).toEqual(r); // what insert returns is exactly what was stored
    expect(buf.getByIdempotencyKey('k1')?.id).toBe(r.id);
    expect(buf.events(r.id).map((e) => e.event)).toEqual(['buffered']);
    expect(buf.db.pragma('journal_mode', { simple: true })).toBe('wal');
    expect(buf.db.pragma('synchronous', { simple: true })).toBe(2); // FULL
  });

  it('refuses a second receipt with the same idempotency key', () => {
    buf.insert(req('k1'));
    expect(() => buf.insert(req('k1'))).toThrow(BufferError);
    expect(buf.status().current_queued).toBe(1);
  });

  it('test_get_pending_receipts: returns uploadable receipts only, oldest HLC first, up to the limit', () => {
    const ids = ['a', 'b', 'c', 'd'].map((k) => buf.insert(req(k)).id);
    for (const id of ids) buf.markPrinted(id, { fiscal_document_number: 1 });
    buf.markSynced(ids[1] as string, '2026-01-01T00:00:00Z');
    buf.moveToDlq(ids[2] as string, 'rejected by OFD');
    // Not fiscalised: never uploaded.
    buf.insert(req('e'));
    buf.markPrintFailed(buf.insert(req('f')).id, 'paper out');
    expect(buf.pending(10).map((r) => r.id)).toEqual([ids[0], ids[3]]);
    expect(buf.pending(1).map((r) => r.id)).toEqual([ids[0]]);
    expect([...UPLOADABLE_STATUSES]).toEqual(['printed', 'delivered']);
  });

  it('test_mark_synced: sets status, server time and synced_at; the hub HLC is merged into the clock', () => {
    const r = buf.insert(req('k1'));
    const hubHlc = '001800000000000-00000003-hub';
    buf.markDelivered(r.id, hubHlc);
    const s = buf.markSynced(r.id, '2026-11-25T12:00:00Z');
    expect(s).toMatchObject({ status: 'synced', serverTime: '2026-11-25T12:00:00Z', hubTime: hubHlc });
    expect(s.syncedAt).not.toBeNull();
    expect(clock.now() > hubHlc).toBe(true);
    expect(buf.events(r.id).map((e) => e.event)).toEqual(['buffered', 'delivered', 'synced']);
    expect(() => buf.markSynced(r.id, 'again')).toThrow(/cannot become synced/);
    expect(() => buf.markSynced('00000000-0000-4000-8000-000000000000', 'x')).toThrow(/no receipt/);
  });

  it('test_move_to_dlq: writes the dead-letter row and takes the receipt out of pending', () => {
    const r = buf.insert(req('k1'));
    buf.incrementRetry(r.id, 'timeout');
    buf.moveToDlq(r.id, 'rejected: bad INN');
    expect(buf.get(r.id)).toMatchObject({ status: 'dead', lastError: 'rejected: bad INN' });
    expect(buf.deadLetters()).toEqual([expect.objectContaining({ receiptId: r.id, reason: 'rejected: bad INN', previousStatus: 'buffered', retryCount: 1 })]);
    expect(buf.pending()).toEqual([]);
    expect(buf.status().dlq_count).toBe(1);
  });

  it('cancels only a receipt the FN never fiscalised: out of the queue and the oldest-pending age, kept with its reason', () => {
    const failed = buf.insert(req('k-failed'));
    buf.markPrintFailed(failed.id, 'paper');
    const printed = buf.insert(req('k-printed'));
    buf.markPrinted(printed.id, { fiscal_document_number: 7 });
    expect(buf.status().oldest_pending_hlc).toBe(failed.hlc);
    wallMs += 60_000;
    const c = buf.markCancelled(failed.id, 'customer left');
    expect(c).toMatchObject({ status: 'cancelled', cancelReason: 'customer left', cancelledAt: new Date(wallMs).toISOString() });
    expect(buf.status()).toMatchObject({ current_queued: 1, oldest_pending_hlc: printed.hlc });
    expect(buf.status().by_status.cancelled).toBe(1);
    expect(buf.queuedCount).toBe(1);
    expect(buf.byStatus('cancelled', 10).rows.map((r) => r.id)).toEqual([failed.id]);
    expect(buf.byStatus('printed', 0)).toEqual({ rows: [], total: 1 });
    expect(() => buf.markCancelled(printed.id, 'no')).toThrow(/printed; cannot become cancelled/);
    expect(() => buf.markCancelled(failed.id, 'twice')).toThrow(/cancelled; cannot become cancelled/);
    expect(() => buf.markPrinted(failed.id, {})).toThrow(BufferError);
  });

  it('test_increment_retry: counts attempts and keeps the last error', () => {
    const r = buf.insert(req('k1'));
    expect(buf.incrementRetry(r.id, 'broker down')).toBe(1);
    expect(buf.incrementRetry(r.id, 'hub timeout')).toBe(2);
    expect(buf.get(r.id)).toMatchObject({ retryCount: 2, lastError: 'hub timeout', status: 'buffered' });
  });

  it('test_buffer_status: capacity, queued, percent full, oldest pending age, DLQ count', () => {
    const a = buf.insert(req('a'));
    wallMs += 90_000;
    const b = buf.insert(req('b'));
    buf.insert(req('c'));
    buf.markPrinted(b.id, { fiscal_document_number: 1, fiscal_sign: '123', fn_serial: '99', printed_at: 'x' });
    const d = buf.insert(req('d'));
    buf.markSynced(d.id, 'now');
    wallMs += 30_000;
    const s = buf.status();
    expect(s).toMatchObject({
      total_capacity: 200, current_queued: 3, percent_full: 1.5, dlq_count: 0, oldest_pending_hlc: a.hlc, oldest_pending_age_s: 120,
    });
    expect(s.by_status).toMatchObject({ buffered: 2, printed: 1, synced: 1, dead: 0 });
    expect(s.last_sync_at).not.toBeNull();
  });

  it('test_hlc_ordering: pending follows HLC order even when the wall clock steps back', () => {
    const first = buf.insert(req('a'));
    wallMs -= 3_600_000;
    const second = buf.insert(req('b'));
    wallMs += 7_200_000;
    const third = buf.insert(req('c'));
    for (const r of [third, first, second]) buf.markPrinted(r.id, { fiscal_document_number: 1 });
    expect(second.hlc > first.hlc).toBe(true);
    expect(buf.pending().map((r) => r.id)).toEqual([first.id, second.id, third.id]);
  });

  it('test_concurrent_inserts: 200 concurrent batched inserts all commit with distinct HLC stamps', async () => {
    const results = await Promise.all(Array.from({ length: 200 }, (_, i) => buf.insertBatched(req(`k${i}`))));
    expect(new Set(results.map((r) => r.hlc)).size).toBe(200);
    expect(buf.status().current_queued).toBe(200);
    // A failing item (duplicate key) fails alone; its batch neighbours commit (one synced
    // receipt makes room: the buffer is at its capacity of 200).
    buf.markSynced(results[0]!.id, '2026-11-25T12:00:00Z');
    const mixed = await Promise.allSettled([buf.insertBatched(req('k0')), buf.insertBatched(req('new'))]);
    expect(mixed.map((m) => m.status)).toEqual(['rejected', 'fulfilled']);
  });

  it('test_concurrent_writers: a second process writes the same WAL database at the same time', async () => {
    const child = fork(join(import.meta.dirname, '../helpers/buffer-writer.ts'), [file, '100'], { execArgv: ['--import', 'tsx'], stdio: 'pipe' });
    await new Promise((resolve) => child.once('message', resolve));
    const mine = Array.from({ length: 100 }, (_, i) => buf.insert(req(`parent-${i}`)));
    const code = await new Promise<number | null>((resolve) => child.on('exit', resolve));
    expect(code).toBe(0);
    expect(mine).toHaveLength(100);
    expect(buf.status().current_queued).toBe(200);
  });

  it('counts receipts another connection wrote against the capacity (the in-memory count is re-read)', () => {
    const clock2 = new HybridLogicalClock({ node: 'box02', wallClock: () => wallMs });
    const small = new ReceiptBuffer(openDatabase(file), { clock: clock2, capacity: 3 });
    const other = new ReceiptBuffer(openDatabase(file), { clock: new HybridLogicalClock({ node: 'box03', wallClock: () => wallMs }), capacity: 200 });
    small.insert(req('a'));
    other.insert(req('b'));
    other.insert(req('c'));
    expect(small.queuedCount).toBe(1); // not yet re-read: only its own insert
    expect(() => small.insert(req('d'))).toThrow(expect.objectContaining({ code: 'full' }));
    expect(small.queuedCount).toBe(3);
    other.markSynced(other.getByIdempotencyKey('b')!.id, '2026-11-25T12:00:00Z');
    expect(small.insert(req('d')).idempotencyKey).toBe('d');
    small.db.close();
    other.db.close();
  });

  it('skips the fsync only for a batch whose every receipt defers it, and restores FULL after', async () => {
    const seen: number[] = [];
    const probe = (k: string, deferSync: boolean) => ({
      ...req(k), deferSync,
      response: () => {
        seen.push(buf.db.pragma('synchronous', { simple: true }) as number);
        return { status: 201, body: {} };
      },
    });
    await Promise.all([buf.insertBatched(probe('a', true)), buf.insertBatched(probe('b', true))]);
    expect(seen).toEqual([1, 1]); // NORMAL inside the batch
    expect(buf.db.pragma('synchronous', { simple: true })).toBe(2); // FULL for every other write
    seen.length = 0;
    await Promise.all([buf.insertBatched(probe('c', true)), buf.insertBatched(probe('d', false))]);
    expect(seen).toEqual([2, 2]);
    expect(buf.status().current_queued).toBe(4);
  });

  it('gives receipts time-ordered UUIDv7 ids (consecutive sales share index pages)', () => {
    const ids = ['a', 'b', 'c'].map((k) => buf.insert(req(k)).id);
    for (const id of ids) expect(id).toMatch(/^[0-9a-f]{8}-[0-9a-f]{4}-7[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/);
    expect([...ids].sort()).toEqual(ids);
  });

  it('keeps acknowledged receipts and the clock mark when the process dies without closing', () => {
    const last = buf.insert(req('a'));
    // A second connection sees exactly what a restart after kill -9 sees: only committed data.
    const wallBehind = wallMs - 7_200_000;
    const clock2 = new HybridLogicalClock({ node: 'box01', wallClock: () => wallBehind });
    const buf2 = new ReceiptBuffer(openDatabase(file), { clock: clock2, capacity: 200 });
    expect(buf2.get(last.id)?.status).toBe('buffered');
    expect(buf2.insert(req('b')).hlc > last.hlc).toBe(true);
    buf2.db.close();
  });

  it('keeps the event log append-only', () => {
    const r = buf.insert(req('a'));
    expect(() => buf.db.prepare('DELETE FROM receipt_events WHERE receipt_id = ?').run(r.id)).toThrow(/append-only/);
    expect(() => buf.db.prepare("UPDATE receipt_events SET event = 'x'").run()).toThrow(/append-only/);
  });

  it('migrates once and is idempotent on reopen', () => {
    buf.close();
    const again = new ReceiptBuffer(openDatabase(file), { clock, capacity: 5 });
    const v = again.db.prepare("SELECT MAX(version) AS v FROM schema_migrations WHERE component = 'box-buffer'").get() as { v: number };
    expect(v.v).toBe(BUFFER_MIGRATIONS.length);
    buf = again;
  });
});
