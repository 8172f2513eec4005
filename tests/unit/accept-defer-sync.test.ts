// A fiscaliser that promises a synced write before the answer lets the insert skip its fsync;
// if it then leaves the receipt merely buffered, the accept path syncs before answering.
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { join } from 'node:path';
import { HybridLogicalClock } from '../../firmware/clock/hlc.js';
import { ReceiptBuffer } from '../../firmware/buffer/receipt-buffer.js';
import { acceptReceipt, type AcceptDeps } from '../../firmware/api/accept-receipt.js';
import { InFlightKeys } from '../../firmware/api/idempotency.js';
import type { Fiscaliser } from '../../firmware/fiscal/fiscaliser.js';
import { silentLogger } from '../../shared/logger.js';
import { instantPrinter, saleBody } from '../helpers/receipts.js';
import { tempDir } from '../helpers/temp-dir.js';

let dir: { path: string; remove(): void };
let buffer: ReceiptBuffer;
beforeEach(() => {
  dir = tempDir();
  buffer = ReceiptBuffer.open(join(dir.path, 'box.db'), { clock: new HybridLogicalClock({ node: 'box01' }), capacity: 100 });
});
afterEach(() => {
  buffer.close();
  dir.remove();
});

const deps = (fiscaliser: Fiscaliser): AcceptDeps => ({ buffer, fiscaliser, inFlight: new InFlightKeys(), defaultVat: 'vat22', log: silentLogger() });

describe('deferred insert fsync', () => {
  it('syncs before answering when a fiscaliser that promised a synced write leaves the receipt buffered', async () => {
    const sync = vi.spyOn(buffer, 'syncNow');
    const broken: Fiscaliser = { syncsBeforeAnswer: true, fiscalise: async () => ({ status: 'buffered', reason: 'test' }) };
    const out = await acceptReceipt(deps(broken), 'k1', saleBody());
    expect(out.response.status).toBe(201);
    expect(sync).toHaveBeenCalledTimes(1);
  });

  it('needs no extra sync when the fiscaliser printed (its own write was synced)', async () => {
    const sync = vi.spyOn(buffer, 'syncNow');
    const insert = vi.spyOn(buffer, 'insertBatched');
    const printer = Object.assign(instantPrinter(), { syncsBeforeAnswer: true });
    const out = await acceptReceipt(deps(printer), 'k2', saleBody());
    expect(insert.mock.calls[0]?.[0].deferSync).toBe(true);
    expect(buffer.get(out.receiptId)?.status).toBe('printed');
    expect(sync).not.toHaveBeenCalled();
    expect(buffer.db.pragma('synchronous', { simple: true })).toBe(2);
  });

  it('keeps the insert fully synced for a fiscaliser that answers "buffered" by design (no printer)', async () => {
    const noPrinter: Fiscaliser = { fiscalise: async () => ({ status: 'buffered', reason: 'no printer' }) };
    const sync = vi.spyOn(buffer, 'syncNow');
    const insert = vi.spyOn(buffer, 'insertBatched');
    await acceptReceipt(deps(noPrinter), 'k3', saleBody());
    expect(insert.mock.calls[0]?.[0].deferSync).toBe(false);
    expect(sync).not.toHaveBeenCalled();
  });

  it('commits "printed" without an fsync when the FN can rebuild it, and flushes right after the answer', async () => {
    const sync = vi.spyOn(buffer, 'syncNow');
    const modeWhilePrinted: number[] = [];
    const markPrinted = buffer.markPrinted.bind(buffer);
    vi.spyOn(buffer, 'markPrinted').mockImplementation((id, fiscal) => {
      modeWhilePrinted.push(buffer.db.pragma('synchronous', { simple: true }) as number);
      return markPrinted(id, fiscal);
    });
    const printer = Object.assign(instantPrinter(), { syncsBeforeAnswer: true, printedSurvivesPowerCut: true });
    const out = await acceptReceipt(deps(printer), 'k4', saleBody());
    expect(out.response.status).toBe(201);
    expect(modeWhilePrinted).toEqual([1]);
    expect(buffer.db.pragma('synchronous', { simple: true })).toBe(2);
    // Not before the answer: the flush waits for the next turn of the event loop.
    expect(sync).not.toHaveBeenCalled();
    await new Promise((r) => setImmediate(r));
    expect(sync).toHaveBeenCalledTimes(1);
  });

  it('keeps "printed" fully synced for a fiscaliser that cannot rebuild it', async () => {
    const modeWhilePrinted: number[] = [];
    const markPrinted = buffer.markPrinted.bind(buffer);
    vi.spyOn(buffer, 'markPrinted').mockImplementation((id, fiscal) => {
      modeWhilePrinted.push(buffer.db.pragma('synchronous', { simple: true }) as number);
      return markPrinted(id, fiscal);
    });
    await acceptReceipt(deps(instantPrinter()), 'k5', saleBody());
    expect(modeWhilePrinted).toEqual([2]);
  });
});
