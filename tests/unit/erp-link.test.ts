// The ingest -> ERP link over a real SQLite file: new documents are handed over once, an ERP
// failure parks one document (not its batch) for a retry with backoff, invalid ones are parked
// for good, and a restarted link catches up from its cursor.
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { openDatabase, type Db } from '../../shared/db.js';
import { silentLogger } from '../../shared/logger.js';
import { ErpLink } from '../../hub/erp-link/erp-link.js';
import { toErpProjection } from '../../hub/erp-link/projection.js';
import { DocumentStore } from '../../hub/ingest/document-store.js';
import { makeDocument } from '../support/documents.js';
import { tempDir, waitFor } from '../support/hub-fixture.js';

class Invalid extends Error {}

describe('ErpLink', () => {
  let tmp: ReturnType<typeof tempDir>;
  let db: Db;
  let store: DocumentStore;
  let seen: string[];
  let failFor: Set<string>;
  let link: ErpLink | null = null;

  const newLink = () => new ErpLink({
    db, logger: silentLogger(), backoffInitialMs: 20, backoffMaxMs: 40, batchSize: 3,
    isPermanent: (e) => e instanceof Invalid,
    record: (p) => {
      const id = (p as { receipt_id: string }).receipt_id;
      // the ERP writes inside the link's savepoint; a throw must undo this row too
      db.prepare('INSERT INTO erp_seen (receipt_id) VALUES (?)').run(id);
      if (failFor.has(id)) throw new Error('erp database busy');
      if ((p as { type: string }).type === 'refund') throw new Invalid('a refund needs original_receipt_id');
      const fresh = !seen.includes(id);
      seen.push(id);
      return { stored: fresh };
    },
  });

  beforeEach(() => {
    tmp = tempDir('erp-link-');
    db = openDatabase(join(tmp.dir, 'hub.db'));
    store = new DocumentStore(db);
    db.exec('CREATE TABLE erp_seen (receipt_id TEXT PRIMARY KEY)');
    seen = [];
    failFor = new Set();
  });
  afterEach(() => {
    link?.stop();
    db.close();
    tmp.cleanup();
  });

  it('hands every stored document over once, in store order, across batches', async () => {
    const docs = Array.from({ length: 7 }, () => makeDocument());
    store.insertMany(docs);
    link = newLink();
    link.start();
    await waitFor(() => seen.length === 7);
    expect(seen).toEqual(docs.map((d) => d.receipt_id));
    store.insertMany([docs[0]!, makeDocument()]); // a duplicate is not a new row
    link.wake();
    await waitFor(() => seen.length === 8);
    expect(link.counts()).toEqual({ backlog: 0, retrying: 0, rejected: 0 });
  });

  it('an ERP failure parks that document alone, retries it with backoff and then links it', async () => {
    const docs = [makeDocument(), makeDocument(), makeDocument()];
    failFor.add(docs[1]!.receipt_id);
    store.insertMany(docs);
    link = newLink();
    const results: string[] = [];
    link.on('result', (r, id) => results.push(`${r}:${id === docs[1]!.receipt_id ? 'bad' : 'ok'}`));
    link.start();
    await waitFor(() => results.length >= 4);
    expect(results.slice(0, 3)).toEqual(['linked:ok', 'failed:bad', 'linked:ok']);
    // the failed hand-over's own writes were rolled back with its savepoint; the others stayed
    expect((db.prepare('SELECT COUNT(*) AS n FROM erp_seen').get() as { n: number }).n).toBe(2);
    expect(link.failures()[0]).toMatchObject({ receipt_id: docs[1]!.receipt_id, last_error: 'erp database busy', rejected: 0 });
    failFor.clear();
    await waitFor(() => seen.includes(docs[1]!.receipt_id), 5000);
    expect(link.counts()).toEqual({ backlog: 0, retrying: 0, rejected: 0 });
  });

  it('an invalid projection is parked for good until an operator retries it', async () => {
    const refund = makeDocument({ type: 'refund' });
    store.insertMany([refund]);
    link = newLink();
    link.start();
    await waitFor(() => link!.counts().rejected === 1);
    link.drain(); // a drain does not pick parked documents up again
    link.drain();
    expect(link.failures()[0]).toMatchObject({ attempts: 1, rejected: 1 });
    expect(link.retryNow()).toBe(1);
    await waitFor(() => link!.failures()[0]?.attempts === 2);
  });

  it('a restarted link catches up from its cursor: stored while down, handed over on start', async () => {
    const first = makeDocument();
    store.insertMany([first]);
    link = newLink();
    link.start();
    await waitFor(() => seen.length === 1);
    link.stop();
    const later = [makeDocument(), makeDocument()];
    store.insertMany(later);
    link = newLink();
    expect(link.counts().backlog).toBe(2);
    link.start();
    await waitFor(() => seen.length === 3);
    expect(seen).toEqual([first, ...later].map((d) => d.receipt_id));
  });

  it('maps the contract message to the ERP projection (tenders, links, printed time)', () => {
    const sale = { ...makeDocument({ total: 150000, fd: 9 }), order_id: 'LO-000007', payments: [{ method: 'cash' as const, amount: 200000 }] };
    expect(toErpProjection(sale)).toEqual({
      receipt_id: sale.receipt_id, store_id: 'store-1', box_id: 'box-1', type: 'sale', order_id: 'LO-000007', original_receipt_id: null, total: 150000,
      payments: { cash: 150000, card: 0 },
      fiscal: { fn_number: sale.fiscal.fn_number, fd_number: 9, fiscal_sign: sale.fiscal.fiscal_sign, shift_number: 1, datetime: '2026-11-25T10:00:00' },
    });
    const refund = makeDocument({ type: 'refund', original: sale.receipt_id });
    expect(toErpProjection(refund)).toMatchObject({ type: 'refund', order_id: null, original_receipt_id: sale.receipt_id, payments: { cash: 0, card: refund.total } });
  });
});
