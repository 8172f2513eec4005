// Ingest -> ERP: every document the hub stored for the first time is handed to the ERP's
// recordFiscalDocument. The fiscal path (store, ack, OFD) never waits for it and never sees
// its failures.
//
// Outbox without a write on the hot path: hub_documents itself is the queue. A cursor (the
// last hub_documents rowid handed over) advances in the same transaction as the ERP's own
// rows, so a crash re-hands at most the last batch (the ERP is idempotent by receipt id).
// A document the ERP refused goes to hub_erp_retry with a backoff; it is retried on every
// start and when due. A projection the ERP rejects as invalid is parked (rejected = 1) with
// its reason: retrying cannot fix it, a code fix plus `retryNow()` can.
import { EventEmitter } from 'node:events';
import { migrate, type Db } from '../../shared/db.js';
import type { Logger } from '../../shared/logger.js';
import { isReceipt, type DocumentMessage } from '../../shared/mqtt/messages.js';
import { toErpProjection } from './projection.js';

const MIGRATIONS = [{
  version: 1,
  name: 'erp link cursor and retries',
  up: `
    CREATE TABLE hub_erp_link (id INTEGER PRIMARY KEY CHECK (id = 1), last_rowid INTEGER NOT NULL);
    INSERT INTO hub_erp_link (id, last_rowid) VALUES (1, 0);
    CREATE TABLE hub_erp_retry (
      receipt_id TEXT PRIMARY KEY,
      attempts INTEGER NOT NULL,
      next_attempt_at INTEGER NOT NULL,
      last_error TEXT NOT NULL,
      rejected INTEGER NOT NULL DEFAULT 0
    );`,
}];

export type LinkResult = 'linked' | 'duplicate' | 'not_a_sale' | 'failed' | 'rejected';

export interface ErpLinkOptions {
  db: Db;
  /** The ERP's recordFiscalDocument; throws to refuse. */
  record: (projection: unknown) => { stored: boolean };
  logger: Logger;
  /** True when an error means the projection itself is invalid (retrying cannot help). */
  isPermanent?: (err: unknown) => boolean;
  backoffInitialMs?: number;
  backoffMaxMs?: number;
  /** Documents per transaction; 200 keeps one batch near 60 ms of event-loop time. */
  batchSize?: number;
  now?: () => number;
}

export interface ErpLinkEvents {
  result: [result: LinkResult, receiptId: string];
  drained: [];
}

interface DocRow { rowid: number; receipt_id: string; doc: string }

export class ErpLink extends EventEmitter<ErpLinkEvents> {
  readonly #o: Required<Omit<ErpLinkOptions, 'isPermanent'>> & Pick<ErpLinkOptions, 'isPermanent'>;
  #scheduled = false;
  #timer: NodeJS.Timeout | null = null;
  #stopped = false;

  constructor(o: ErpLinkOptions) {
    super();
    this.#o = { backoffInitialMs: 1000, backoffMaxMs: 600_000, batchSize: 200, now: Date.now, ...o };
    migrate(o.db, 'hub_erp_link', MIGRATIONS);
  }

  /** Catches up on everything stored while the ERP was not linked, then retries what is due. */
  start(): void {
    this.#stopped = false;
    this.wake();
  }

  stop(): void {
    this.#stopped = true;
    if (this.#timer) clearTimeout(this.#timer);
    this.#timer = null;
  }

  /** New documents were committed: hand them over soon, off the caller's stack. */
  wake(): void {
    if (this.#scheduled || this.#stopped) return;
    this.#scheduled = true;
    setImmediate(() => {
      this.#scheduled = false;
      this.drain();
    });
  }

  /** Hands over one batch of new documents and the due retries; schedules the rest. */
  drain(): void {
    if (this.#stopped) return;
    let more = false;
    try {
      more = this.#linkNew();
      this.#retryDue();
    } catch (err) {
      // The database itself failed (disk full, locked): nothing advanced; try again later.
      this.#o.logger.error({ err: (err as Error).message }, 'erp link drain failed; will retry');
      this.#arm(this.#o.now() + this.#o.backoffInitialMs);
      return;
    }
    if (more) return this.wake();
    this.#armForRetries();
    this.emit('drained');
  }

  counts(): { backlog: number; retrying: number; rejected: number } {
    const { db } = this.#o;
    const cursor = this.#cursor();
    const backlog = (db.prepare('SELECT COUNT(*) AS n FROM hub_documents WHERE rowid > ?').get(cursor) as { n: number }).n;
    const r = db.prepare('SELECT COALESCE(SUM(rejected = 0), 0) AS retrying, COALESCE(SUM(rejected = 1), 0) AS rejected FROM hub_erp_retry').get() as
      { retrying: number; rejected: number };
    return { backlog, ...r };
  }

  failures(limit = 100): { receipt_id: string; attempts: number; next_attempt_at: number; last_error: string; rejected: number }[] {
    return this.#o.db.prepare('SELECT * FROM hub_erp_retry ORDER BY rejected DESC, next_attempt_at LIMIT ?').all(limit) as
      { receipt_id: string; attempts: number; next_attempt_at: number; last_error: string; rejected: number }[];
  }

  /** Operator: every waiting or parked document gets another go now (after the cause was fixed). */
  retryNow(): number {
    const n = this.#o.db.prepare('UPDATE hub_erp_retry SET rejected = 0, next_attempt_at = 0').run().changes;
    this.wake();
    return n;
  }

  #cursor(): number {
    return (this.#o.db.prepare('SELECT last_rowid FROM hub_erp_link WHERE id = 1').get() as { last_rowid: number }).last_rowid;
  }

  /** One transaction per batch (one fsync); each document in its own savepoint. */
  #linkNew(): boolean {
    const { db, batchSize } = this.#o;
    const results: [LinkResult, string][] = [];
    let full = false;
    db.transaction(() => {
      const rows = db.prepare('SELECT rowid, receipt_id, doc FROM hub_documents WHERE rowid > ? ORDER BY rowid LIMIT ?')
        .all(this.#cursor(), batchSize) as DocRow[];
      full = rows.length === batchSize;
      for (const row of rows) {
        const r = this.#handOver(row.receipt_id, row.doc, 0);
        results.push([r, row.receipt_id]);
      }
      if (rows.length) db.prepare('UPDATE hub_erp_link SET last_rowid = ? WHERE id = 1').run(rows[rows.length - 1]!.rowid);
    })();
    for (const [r, id] of results) this.emit('result', r, id);
    return full;
  }

  #retryDue(): void {
    const { db, batchSize } = this.#o;
    const results: [LinkResult, string][] = [];
    db.transaction(() => {
      const due = db.prepare(`SELECT r.receipt_id, r.attempts, d.doc FROM hub_erp_retry r JOIN hub_documents d ON d.receipt_id = r.receipt_id
        WHERE r.rejected = 0 AND r.next_attempt_at <= ? ORDER BY r.next_attempt_at LIMIT ?`).all(this.#o.now(), batchSize) as
        { receipt_id: string; attempts: number; doc: string }[];
      for (const d of due) results.push([this.#handOver(d.receipt_id, d.doc, d.attempts), d.receipt_id]);
    })();
    for (const [r, id] of results) this.emit('result', r, id);
  }

  /** Runs inside the caller's transaction; the ERP's writes sit in a savepoint of their own. */
  #handOver(receiptId: string, docJson: string, attempts: number): LinkResult {
    const { db, logger } = this.#o;
    try {
      const doc = JSON.parse(docJson) as DocumentMessage;
      // A shift report has no sale in it: the OFD gets it, the ERP has nothing to book.
      if (!isReceipt(doc)) return 'not_a_sale';
      const r = db.transaction(() => this.#o.record(toErpProjection(doc)))();
      if (attempts > 0) db.prepare('DELETE FROM hub_erp_retry WHERE receipt_id = ?').run(receiptId);
      return r.stored ? 'linked' : 'duplicate';
    } catch (err) {
      const permanent = this.#o.isPermanent?.(err) ?? false;
      const n = attempts + 1;
      const delay = Math.min(this.#o.backoffMaxMs, this.#o.backoffInitialMs * 2 ** Math.min(n - 1, 30));
      const reason = (err as Error).message.slice(0, 1000);
      db.prepare(`INSERT INTO hub_erp_retry (receipt_id, attempts, next_attempt_at, last_error, rejected) VALUES (?, ?, ?, ?, ?)
        ON CONFLICT (receipt_id) DO UPDATE SET attempts = excluded.attempts, next_attempt_at = excluded.next_attempt_at,
        last_error = excluded.last_error, rejected = excluded.rejected`).run(receiptId, n, this.#o.now() + delay, reason, permanent ? 1 : 0);
      logger.warn({ receipt_id: receiptId, attempts: n, permanent, reason }, permanent
        ? 'the ERP rejected a fiscal document; parked (the fiscal path is unaffected)'
        : 'the ERP could not record a fiscal document; will retry (the fiscal path is unaffected)');
      return permanent ? 'rejected' : 'failed';
    }
  }

  #armForRetries(): void {
    const r = this.#o.db.prepare('SELECT MIN(next_attempt_at) AS t FROM hub_erp_retry WHERE rejected = 0').get() as { t: number | null };
    if (r.t !== null) this.#arm(r.t);
  }

  #arm(at: number): void {
    if (this.#stopped) return;
    if (this.#timer) clearTimeout(this.#timer);
    this.#timer = setTimeout(() => { this.#timer = null; this.drain(); }, Math.max(0, at - this.#o.now()));
    this.#timer.unref();
  }
}
