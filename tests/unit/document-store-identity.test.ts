// DocumentStore.insertMany: a receipt id seen before is a duplicate only for the same box's same
// fiscal document (FN + FD number); anything else is refused and leaves the stored row alone.
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { DocumentStore } from '../../hub/ingest/document-store.js';
import { openDatabase, type Db } from '../../shared/db.js';
import type { ReceiptMessage } from '../../shared/mqtt/messages.js';
import { makeDocument } from '../support/documents.js';
import { tempDir } from '../support/hub-fixture.js';

describe('document identity in the hub store', () => {
  let tmp: ReturnType<typeof tempDir>;
  let db: Db;
  let store: DocumentStore;
  beforeEach(() => {
    tmp = tempDir('doc-identity-');
    db = openDatabase(join(tmp.dir, 'hub.db'));
    store = new DocumentStore(db);
  });
  afterEach(() => { db.close(); tmp.cleanup(); });

  it('stores, dedupes the same box\'s same document, refuses the rest without touching the row', () => {
    const original = makeDocument();
    const sameAgain: ReceiptMessage = { ...original, pos_id: 'POS-9' }; // a newer projection of the same FN document
    const otherBox: ReceiptMessage = { ...makeDocument({ box: 'box-2', fd: original.fiscal.fd_number }), receipt_id: original.receipt_id };
    const otherStore: ReceiptMessage = { ...makeDocument({ store: 'store-2', fd: original.fiscal.fd_number }), receipt_id: original.receipt_id };
    const otherDoc: ReceiptMessage = { ...makeDocument(), receipt_id: original.receipt_id };
    const otherFn: ReceiptMessage = { ...original, fiscal: { ...original.fiscal, fn_number: '9999078900099999' } };
    // One batch, as the ingest commits a burst: the first wins, each later one is judged against it.
    const out = store.insertMany([original, sameAgain, otherBox, otherStore, otherDoc, otherFn]);
    expect(out.slice(0, 2)).toEqual(['stored', 'duplicate']);
    expect(out[2]).toEqual({ refused: expect.stringMatching(/is already used by another box \(store-1\/box-1\)/) });
    expect(out[3]).toEqual({ refused: expect.stringMatching(/is already used by another box \(store-1\/box-1\)/) });
    expect(out[4]).toEqual({ refused: expect.stringMatching(new RegExp(`already names another document of this box \\(FN \\d{16} FD ${original.fiscal.fd_number}\\); this one \\(FN \\d{16} FD ${otherDoc.fiscal.fd_number}\\)`)) });
    expect(out[5]).toEqual({ refused: expect.stringMatching(/already names another document of this box .*this one \(FN 9999078900099999/) });
    expect(store.get(original.receipt_id)).toMatchObject({ box_id: 'box-1', doc: original });
    expect(store.counts()).toMatchObject({ pending: 1, duplicates: 1, malformed: 0 });
  });

  it('the same refused bytes again (a box republishing) count on one DLQ row instead of adding rows', () => {
    const t0 = new Date('2026-11-26T10:00:00Z');
    store.addMalformed('kkt/v1/store-1/box-2/receipt', Buffer.from('{"x":1}'), 'refused: id reused', t0);
    store.addMalformed('kkt/v1/store-1/box-2/receipt', Buffer.from('{"x":1}'), 'refused: id reused', new Date(t0.getTime() + 30_000));
    store.addMalformed('kkt/v1/store-1/box-2/receipt', Buffer.from('{"x":2}'), 'refused: id reused', t0);
    store.addMalformed('kkt/v1/store-1/box-2/receipt', Buffer.from('{"x":1}'), 'another reason', t0);
    const rows = store.malformed(10);
    expect(rows).toHaveLength(3);
    expect(rows.find((r) => r.payload === '{"x":1}' && r.reason === 'refused: id reused')).toMatchObject({ repeats: 1, at: t0.toISOString(), last_at: '2026-11-26T10:00:30.000Z' });
    expect(store.counts().malformed).toBe(3);
  });
});
