// The "printed" commit skips its fsync before the answer (on an SD card that fsync is 2-20 ms
// of every sale) because a power cut that loses it loses nothing: the checkpoint synced before
// the close lets the restarted box find the document in the FN. Here the box's files are
// copied exactly as they stand when "printed" is about to be written - what a power cut leaves
// when that commit never reached the disk - and a box started on the copy must come back with
// the same fiscal document, answer the POS's retry with it, and print nothing again.
import { afterEach, describe, expect, it, vi } from 'vitest';
import { cpSync } from 'node:fs';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { randomUUID } from 'node:crypto';
import { saleBody } from '../helpers/receipts.js';
import { startPrinterBox } from '../helpers/printer-box.js';
import { tempDir } from '../helpers/temp-dir.js';

type Json = { receipt_id: string; status: string; fiscal: Record<string, unknown> };

let cleanup: (() => Promise<void> | void)[] = [];
afterEach(async () => {
  for (const c of cleanup.reverse()) await c();
  cleanup = [];
});

describe('"printed" lost to a power cut', () => {
  it('is rebuilt from the FN on restart: same document, same answer to the retry, printed once', async () => {
    const pb = await startPrinterBox();
    cleanup.push(() => pb.stopAll());
    const atCut = tempDir('box-power-cut-');
    cleanup.push(() => atCut.remove());
    const markPrinted = pb.box.buffer.markPrinted.bind(pb.box.buffer);
    vi.spyOn(pb.box.buffer, 'markPrinted').mockImplementation((id, fiscal) => {
      // The WAL's shared-memory index is rebuilt from the WAL on open, as after a real cut.
      cpSync(pb.dataDir, atCut.path, { recursive: true, filter: (f) => !f.endsWith('-shm') });
      return markPrinted(id, fiscal);
    });
    const key = randomUUID();
    const first = await pb.post(saleBody(), { key });
    expect(first.status).toBe(201);
    const answered = (await first.json()) as Json;
    const receiptDocs = () => pb.emu.fn.state.docs.filter((d) => d.form === 3).length;
    expect(receiptDocs()).toBe(1);

    await pb.box.stop();
    // What the cut left: the sale stored and its checkpoint, not the "printed" commit.
    const files = new Database(join(atCut.path, 'box.db'));
    const cut = files.prepare('SELECT status FROM receipts WHERE id = ?').get(answered.receipt_id) as { status: string } | undefined;
    files.close();
    expect(cut?.status).toBe('buffered');
    const after = await startPrinterBox({}, { emu: pb.emu, dataDir: atCut.path, cleanup: () => undefined });
    cleanup.push(() => after.box.stop());
    const row = after.box.buffer.get(answered.receipt_id);
    expect(row?.status).toBe('printed');
    expect(row?.fiscalData).toMatchObject({
      fiscal_document_number: answered.fiscal.fiscal_document_number, fiscal_sign: answered.fiscal.fiscal_sign,
    });
    const retry = await after.post(saleBody(), { key });
    expect(retry.status).toBe(201);
    const replayed = (await retry.json()) as Json;
    expect(replayed).toMatchObject({ receipt_id: answered.receipt_id, status: 'printed' });
    expect(replayed.fiscal).toMatchObject({
      fiscal_document_number: answered.fiscal.fiscal_document_number, fiscal_sign: answered.fiscal.fiscal_sign,
      fn_serial: answered.fiscal.fn_serial, qr: answered.fiscal.qr,
    });
    expect(receiptDocs()).toBe(1);
  }, 60_000);
});
