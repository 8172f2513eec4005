// The box's durable receipt buffer: every acknowledged sale is here before the POS hears
// "yes" (WAL + synchronous=FULL), stamped with the box's HLC, and moves through the state
// machine in statuses.ts. Synchronous better-sqlite3 calls: when a method returns, it is on disk
// (the one exception, an insert with deferSync, is flushed by its caller's next FULL commit).
import { v7 as uuidv7 } from 'uuid';
import { integrityCheck, migrate, openDatabase, stmt, type Db } from '../../shared/db.js';
import type { Receipt } from '../../shared/receipt.js';
import type { HybridLogicalClock } from '../clock/hlc.js';
import { loadHighWaterMark, saveHighWaterMark } from '../clock/hlc-store.js';
import { FN_POS_ID, fnReportKey, fnReportRow, type FnReport } from './fn-report.js';
import { GroupCommit, type Outcome } from './group-commit.js';
import { BUFFER_MIGRATIONS } from './migrations.js';
import { QUEUED_STATUSES, RECEIPT_STATUSES, TRANSITIONS, UPLOADABLE_STATUSES, type ReceiptStatus } from './statuses.js';
import { fromRow, type ReceiptRow, type StoredReceipt, type StoredResponse } from './stored-receipt.js';

export type { StoredReceipt, StoredResponse } from './stored-receipt.js';

export class BufferError extends Error {
  constructor(readonly code: 'not_found' | 'bad_transition' | 'duplicate_key' | 'corrupt' | 'full', message: string) {
    super(message);
    this.name = 'BufferError';
  }
}

export interface InsertRequest {
  idempotencyKey: string;
  requestHash: string;
  receipt: Receipt;
  /** Builds the response stored for idempotent replay, from the row as inserted. */
  response?: (r: StoredReceipt) => StoredResponse;
  /**
   * The caller commits this receipt again with a full fsync before anyone is told it is
   * stored (see Fiscaliser.syncsBeforeAnswer), so this insert may skip its fsync. A batch
   * skips it only if every receipt in it may.
   */
  deferSync?: boolean;
}

export type FillState = 'ok' | 'warning' | 'full';

export interface BufferStatus {
  total_capacity: number;
  current_queued: number;
  percent_full: number;
  /** `warning` from warn_percent, `full` at capacity (new sales refused, nothing dropped). */
  fill_state: FillState;
  warn_percent: number;
  by_status: Record<ReceiptStatus, number>;
  dlq_count: number;
  oldest_pending_hlc: string | null;
  oldest_pending_age_s: number | null;
  last_sync_at: string | null;
}

export interface BufferOptions {
  clock: HybridLogicalClock;
  /** Receipts the box is sized to hold unsynced; percent_full is measured against it. */
  capacity: number;
  /** percent_full at which the buffer reports `warning` (default 80). */
  warnPercent?: number;
  /** Hard limit of the database file (SQLite max_page_count): a full disk before the SD card is. */
  maxDbBytes?: number | undefined;
  maxBatch?: number;
  now?: () => Date;
  /** Told the hub's / OFD's time whenever an acknowledgement carries it (clock drift watch). */
  onRemoteTime?: (source: 'hub' | 'ofd', text: string) => void;
}

const inList = (s: readonly string[]) => s.map((x) => `'${x}'`).join(', ');

export class ReceiptBuffer {
  readonly db: Db;
  private readonly clock: HybridLogicalClock;
  private readonly capacity: number;
  private readonly warnPercent: number;
  /**
   * Queued receipts, kept exact by insertMany and transition; recounted only when another
   * connection has committed since (PRAGMA data_version), because a COUNT per group commit
   * grows with the backlog exactly when an offline box can least afford it.
   */
  private queued = 0;
  private seenDataVersion = -1;
  private flushPending = false;
  private readonly now: () => Date;
  private readonly onRemoteTime: BufferOptions['onRemoteTime'];
  private readonly group: GroupCommit<InsertRequest, StoredReceipt>;
  private readonly stmt;

  static open(file: string, opts: BufferOptions): ReceiptBuffer {
    return new ReceiptBuffer(openDatabase(file, { synchronous: 'FULL' }), opts);
  }

  constructor(db: Db, opts: BufferOptions) {
    const check = integrityCheck(db);
    if (!check.ok) throw new BufferError('corrupt', `buffer database failed integrity check: ${check.problems.join('; ')}`);
    migrate(db, 'box-buffer', BUFFER_MIGRATIONS);
    this.db = db;
    this.clock = opts.clock;
    this.capacity = opts.capacity;
    this.warnPercent = opts.warnPercent ?? 80;
    if (opts.maxDbBytes) {
      const pageSize = db.pragma('page_size', { simple: true }) as number;
      db.pragma(`max_page_count = ${Math.max(1, Math.floor(opts.maxDbBytes / pageSize))}`);
    }
    this.now = opts.now ?? (() => new Date());
    this.onRemoteTime = opts.onRemoteTime;
    const hwm = loadHighWaterMark(db);
    if (hwm) this.clock.restore(hwm);
    this.group = new GroupCommit((items) => this.insertMany(items), opts.maxBatch ?? 256);
    this.stmt = {
      insert: db.prepare(`INSERT INTO receipts (id, idempotency_key, request_hash, hlc, pos_id, type, total_kopecks,
        payload, status, response_status, response_body, created_at, updated_at)
        VALUES (@id, @idempotency_key, @request_hash, @hlc, @pos_id, @type, @total_kopecks, @payload, 'buffered',
        @response_status, @response_body, @created_at, @created_at)`),
      setResponse: db.prepare('UPDATE receipts SET response_status = ?, response_body = ? WHERE id = ?'),
      get: db.prepare('SELECT * FROM receipts WHERE id = ?'),
      byKey: db.prepare('SELECT * FROM receipts WHERE idempotency_key = ?'),
      event: db.prepare('INSERT INTO receipt_events (receipt_id, event, detail, at) VALUES (?, ?, ?, ?)'),
      pending: db.prepare(`SELECT * FROM receipts WHERE status IN (${inList(UPLOADABLE_STATUSES)}) ORDER BY hlc LIMIT ?`),
      countQueued: db.prepare(`SELECT COUNT(*) AS n FROM receipts WHERE status IN (${inList(QUEUED_STATUSES)})`),
      dataVersion: db.prepare('PRAGMA data_version').pluck(),
    };
    this.queued = this.queuedNow();
  }

  /** Inserts one receipt in its own transaction (durable on return). */
  insert(req: InsertRequest): StoredReceipt {
    const [o] = this.insertMany([req]);
    if (!o?.ok) throw o?.error ?? new Error('insert failed');
    return o.value;
  }

  /** Inserts through the group-commit queue: resolves after the shared transaction committed. */
  insertBatched(req: InsertRequest): Promise<StoredReceipt> {
    return this.group.submit(req);
  }

  private insertMany(reqs: InsertRequest[]): Outcome<StoredReceipt>[] {
    const deferred = reqs.length > 0 && reqs.every((r) => r.deferSync === true);
    return deferred ? this.withoutFsync(() => this.insertManyNow(reqs)) : this.insertManyNow(reqs);
  }

  /** synchronous=NORMAL in WAL mode around `fn`: written and consistent, flushed by the next FULL commit. */
  private withoutFsync<T>(fn: () => T): T {
    stmt(this.db, 'PRAGMA synchronous = NORMAL').run();
    try {
      return fn();
    } finally {
      stmt(this.db, 'PRAGMA synchronous = FULL').run();
    }
  }

  private insertManyNow(reqs: InsertRequest[]): Outcome<StoredReceipt>[] {
    const result = this.db.transaction(() => {
      // Capacity is checked inside the writing transaction, so concurrent sales can never
      // push the buffer past it; nothing stored is ever dropped to make room.
      let queued = this.queuedNow();
      const out = reqs.map((req): Outcome<StoredReceipt> => {
        if (queued >= this.capacity) {
          return { ok: false, error: new BufferError('full', `the buffer holds ${queued} unsynced receipts (capacity ${this.capacity})`) };
        }
        const o = this.insertOne(req);
        if (o.ok) queued += 1;
        return o;
      });
      saveHighWaterMark(this.db, this.clock.peek());
      return { out, queued };
    // IMMEDIATE: the capacity count reads before it writes; a deferred transaction would fail
    // with SQLITE_BUSY_SNAPSHOT when another connection committed in between.
    }).immediate();
    this.queued = result.queued;
    return result.out;
  }

  /** The exact queued count: the in-memory one unless another connection wrote meanwhile. */
  private queuedNow(): number {
    const version = this.stmt.dataVersion.get() as number;
    if (version !== this.seenDataVersion) {
      this.queued = (this.stmt.countQueued.get() as { n: number }).n;
      this.seenDataVersion = version;
    }
    return this.queued;
  }

  /** Receipts not yet synced, not dead and not cancelled (cheap: kept in memory). */
  get queuedCount(): number {
    return this.queued;
  }

  /** ok / warning (>= warnPercent) / full (>= capacity), from the in-memory count. */
  fillState(queued = this.queued): FillState {
    if (queued >= this.capacity) return 'full';
    return queued * 100 >= this.capacity * this.warnPercent ? 'warning' : 'ok';
  }

  /**
   * One receipt inside the batch's transaction, without a savepoint: a failed INSERT undoes
   * only itself in SQLite, so a duplicate key is answered to its caller and the batch goes
   * on. Anything failing after the row is written throws and rolls the whole batch back.
   */
  private insertOne(req: InsertRequest): Outcome<StoredReceipt> {
    const at = this.now().toISOString();
    const r = req.receipt;
    // UUIDv7: time-ordered, so consecutive receipts land on the same primary-key page (a
    // random v4 id dirties a random page per sale, and each dirty page is a WAL write).
    const id = uuidv7();
    const hlc = this.clock.now();
    // The stored receipt is built from what was written, not read back: one statement fewer
    // per sale on the hot path.
    const stored: StoredReceipt = {
      id, idempotencyKey: req.idempotencyKey, requestHash: req.requestHash, hlc,
      posId: r.pos_id, type: r.type, total: r.total, receipt: r, status: 'buffered', fiscalData: null, retryCount: 0,
      lastError: null, response: null, createdAt: at, updatedAt: at, printedAt: null, deliveredAt: null, hubTime: null,
      syncedAt: null, serverTime: null, cancelledAt: null, cancelReason: null,
    };
    if (req.response) stored.response = req.response(stored);
    try {
      this.stmt.insert.run({
        id, idempotency_key: req.idempotencyKey, request_hash: req.requestHash, hlc, pos_id: r.pos_id, type: r.type,
        total_kopecks: r.total, payload: JSON.stringify(r), created_at: at,
        response_status: stored.response?.status ?? null, response_body: stored.response ? JSON.stringify(stored.response.body) : null,
      });
    } catch (error) {
      const e = error as { code?: string; message?: string };
      if (this.db.inTransaction && e.code === 'SQLITE_CONSTRAINT_UNIQUE' && e.message?.includes('idempotency_key')) {
        return { ok: false, error: new BufferError('duplicate_key', `idempotency key already used: ${req.idempotencyKey}`) };
      }
      if (this.db.inTransaction && e.code?.startsWith('SQLITE_CONSTRAINT')) return { ok: false, error };
      // SQLITE_FULL, I/O errors and anything unexpected: the batch fails as one, with the
      // real cause (SQLite may already have rolled the transaction back on its own).
      throw error;
    }
    this.stmt.event.run(id, 'buffered', JSON.stringify({ hlc }), at);
    return { ok: true, value: stored };
  }

  /** Group-commit counters: how many receipts share one transaction on average. */
  get groupCommitStats(): { batches: number; items: number } {
    return { ...this.group.stats };
  }

  /** Writes everything waiting in the group-commit queue now (on shutdown). */
  flush(): void {
    this.group.flush();
  }

  get(id: string): StoredReceipt | null {
    const row = this.stmt.get.get(id) as ReceiptRow | undefined;
    return row ? fromRow(row) : null;
  }

  getByIdempotencyKey(key: string): StoredReceipt | null {
    const row = this.stmt.byKey.get(key) as ReceiptRow | undefined;
    return row ? fromRow(row) : null;
  }

  /** Receipts ready for upload (UPLOADABLE_STATUSES), oldest HLC first. */
  pending(limit = 50): StoredReceipt[] {
    return (this.stmt.pending.all(limit) as ReceiptRow[]).map(fromRow);
  }

  /** Replaces the stored idempotent response (after the fiscaliser answered). */
  saveResponse(id: string, response: StoredResponse): void {
    const r = this.stmt.setResponse.run(response.status, JSON.stringify(response.body), id);
    if (r.changes === 0) throw new BufferError('not_found', `no receipt ${id}`);
  }

  /**
   * Records a fiscal document the FN made outside a sale (a shift report), already fiscalised,
   * so the uplink sends it to the OFD like a receipt. Keyed by FN and FD number: recording the
   * same document again changes nothing. Returns whether it was new. Never refused for
   * capacity: it exists in the FN whatever the buffer holds.
   */
  recordFnReport(doc: FnReport): boolean {
    const id = uuidv7();
    const at = this.iso();
    const { receipt, fiscal } = fnReportRow(doc);
    const added = this.db.transaction(() => {
      const hlc = this.clock.now();
      const r = stmt(this.db, `INSERT OR IGNORE INTO receipts (id, idempotency_key, request_hash, hlc, pos_id, type, total_kopecks, payload, status,
        fiscal_data, created_at, updated_at, printed_at) VALUES (?, ?, '', ?, ?, ?, 0, ?, 'printed', ?, ?, ?, ?)`)
        .run(id, fnReportKey(doc), hlc, FN_POS_ID, doc.kind, JSON.stringify(receipt), JSON.stringify(fiscal), at, at, at);
      if (r.changes === 0) return false;
      this.stmt.event.run(id, 'printed', JSON.stringify({ hlc, from_fn: doc.kind, fd: doc.fd }), at);
      saveHighWaterMark(this.db, this.clock.peek());
      return true;
    }).immediate();
    if (added) this.queued += 1;
    return added;
  }

  /** Of the FN's documents `from`..`to`, the FD numbers this buffer holds a row for. */
  knownFds(fnNumber: string, from: number, to: number): Set<number> {
    const rows = stmt(this.db, `SELECT json_extract(fiscal_data, '$.fiscal_document_number') AS fd, json_extract(fiscal_data, '$.fn_serial') AS fn
      FROM receipts WHERE json_extract(fiscal_data, '$.fiscal_document_number') BETWEEN ? AND ?`).all(from, to) as { fd: number; fn: string | null }[];
    return new Set(rows.filter((r) => r.fn === null || r.fn === fnNumber).map((r) => r.fd));
  }

  markPrinted(id: string, fiscalData: unknown): StoredReceipt {
    return this.transition(id, 'printed', { fiscal_data: JSON.stringify(fiscalData), printed_at: this.iso(), last_error: null }, fiscalData);
  }

  markPrintFailed(id: string, error: string): StoredReceipt {
    return this.transition(id, 'print_failed', { last_error: error }, { error });
  }

  /** The POS abandoned a sale the FN never fiscalised (the caller made sure of that). */
  markCancelled(id: string, reason: string): StoredReceipt {
    return this.transition(id, 'cancelled', { cancelled_at: this.iso(), cancel_reason: reason }, { reason });
  }

  /** Receipts in `status`, oldest HLC first, and how many there are (the receipts_status_hlc index). */
  byStatus(status: ReceiptStatus, limit: number): { rows: StoredReceipt[]; total: number } {
    const rows = (stmt(this.db, 'SELECT * FROM receipts WHERE status = ? ORDER BY hlc LIMIT ?').all(status, limit) as ReceiptRow[]).map(fromRow);
    return { rows, total: (stmt(this.db, 'SELECT COUNT(*) AS n FROM receipts WHERE status = ?').get(status) as { n: number }).n };
  }

  /** The hub acknowledged receipt of the document; `hubTime` (HLC text) is merged into the clock. */
  markDelivered(id: string, hubTime: string): StoredReceipt {
    const r = this.transition(id, 'delivered', { hub_time: hubTime, delivered_at: this.iso() }, { hubTime }, hubTime);
    this.onRemoteTime?.('hub', hubTime);
    return r;
  }

  /** The OFD accepted the document (per the hub); `serverTime` is the server's time for it. */
  markSynced(id: string, serverTime: string): StoredReceipt {
    const r = this.transition(id, 'synced', { server_time: serverTime, synced_at: this.iso() }, { serverTime }, serverTime);
    this.onRemoteTime?.('ofd', serverTime);
    return r;
  }

  moveToDlq(id: string, reason: string): StoredReceipt {
    return this.db.transaction(() => {
      const before = this.mustGet(id);
      const after = this.transition(id, 'dead', { last_error: reason }, { reason });
      stmt(this.db, 'INSERT INTO dead_letters (receipt_id, reason, previous_status, retry_count, moved_at) VALUES (?, ?, ?, ?, ?)')
        .run(id, reason, before.status, before.retryCount, this.iso());
      return after;
    })();
  }

  /** Counts a failed attempt (upload or print); returns the new retry count. */
  incrementRetry(id: string, error: string): number {
    return this.db.transaction(() => {
      const r = stmt(this.db, `UPDATE receipts SET retry_count = retry_count + 1, last_error = ?, updated_at = ? WHERE id = ?`)
        .run(error, this.iso(), id);
      if (r.changes === 0) throw new BufferError('not_found', `no receipt ${id}`);
      this.stmt.event.run(id, 'retry', JSON.stringify({ error }), this.iso());
      return this.mustGet(id).retryCount;
    })();
  }

  deadLetters(): { receiptId: string; reason: string; previousStatus: ReceiptStatus; retryCount: number; movedAt: string }[] {
    return (stmt(this.db, 'SELECT * FROM dead_letters ORDER BY moved_at').all() as Record<string, unknown>[]).map((r) => ({
      receiptId: r.receipt_id as string, reason: r.reason as string, previousStatus: r.previous_status as ReceiptStatus,
      retryCount: r.retry_count as number, movedAt: r.moved_at as string,
    }));
  }

  events(id: string): { seq: number; event: string; detail: unknown; at: string }[] {
    return (stmt(this.db, 'SELECT * FROM receipt_events WHERE receipt_id = ? ORDER BY seq').all(id) as Record<string, unknown>[])
      .map((r) => ({ seq: r.seq as number, event: r.event as string, detail: r.detail ? JSON.parse(r.detail as string) : null, at: r.at as string }));
  }

  status(): BufferStatus {
    const by = Object.fromEntries(RECEIPT_STATUSES.map((s) => [s, 0])) as Record<ReceiptStatus, number>;
    for (const r of stmt(this.db, 'SELECT status, COUNT(*) AS n FROM receipts GROUP BY status').all() as { status: ReceiptStatus; n: number }[]) {
      by[r.status] = r.n;
    }
    const queued = QUEUED_STATUSES.reduce((s, st) => s + by[st], 0);
    const oldest = stmt(this.db, `SELECT hlc, created_at FROM receipts WHERE status IN (${inList(QUEUED_STATUSES)}) ORDER BY hlc LIMIT 1`)
      .get() as { hlc: string; created_at: string } | undefined;
    const lastSync = stmt(this.db, 'SELECT MAX(synced_at) AS t FROM receipts').get() as { t: string | null };
    const dlq = stmt(this.db, 'SELECT COUNT(*) AS n FROM dead_letters').get() as { n: number };
    return {
      total_capacity: this.capacity,
      current_queued: queued,
      percent_full: Math.round((queued / this.capacity) * 10000) / 100,
      fill_state: this.fillState(queued),
      warn_percent: this.warnPercent,
      by_status: by,
      dlq_count: dlq.n,
      oldest_pending_hlc: oldest?.hlc ?? null,
      // Wall-clock based and clamped: after an NTP step the age may be off, never negative.
      oldest_pending_age_s: oldest ? Math.max(0, Math.round((this.now().getTime() - Date.parse(oldest.created_at)) / 1000)) : null,
      last_sync_at: lastSync.t,
    };
  }

  /** Something an operator must see until acknowledged (e.g. a corrupt database set aside). */
  recordIncident(kind: string, detail: Record<string, unknown>): void {
    stmt(this.db, 'INSERT INTO incidents (kind, detail, at) VALUES (?, ?, ?)').run(kind, JSON.stringify(detail), this.iso());
  }

  openIncidents(): { id: number; kind: string; detail: Record<string, unknown>; at: string }[] {
    return (stmt(this.db, 'SELECT * FROM incidents WHERE acknowledged_at IS NULL ORDER BY id').all() as Record<string, unknown>[])
      .map((r) => ({ id: r.id as number, kind: r.kind as string, detail: JSON.parse(r.detail as string) as Record<string, unknown>, at: r.at as string }));
  }

  acknowledgeIncident(id: number): boolean {
    return stmt(this.db, 'UPDATE incidents SET acknowledged_at = ? WHERE id = ? AND acknowledged_at IS NULL').run(this.iso(), id).changes === 1;
  }

  /**
   * A real write with a full fsync: everything committed before it (a deferred insert
   * included) is on disk when it returns.
   */
  syncNow(): void {
    this.writeProbe();
  }

  /**
   * Runs `fn` in one transaction committed without an fsync (WAL, synchronous=NORMAL):
   * consistent and visible at once, on disk at the next full commit, which flushSoon() runs
   * on the next turn of the event loop. Only for a write that can be rebuilt after a power cut
   * from something already durable (see Fiscaliser.printedSurvivesPowerCut).
   */
  unsynced<T>(fn: () => T): T {
    // The setting cannot be switched inside a transaction: nested, it commits with the outer one.
    if (this.db.inTransaction) return fn();
    const out = this.withoutFsync(() => this.db.transaction(fn)());
    this.flushSoon();
    return out;
  }

  /**
   * One full commit on the next turn of the event loop, after the answers written in this
   * turn have gone to their sockets; calls in the same turn share it.
   */
  flushSoon(): void {
    if (this.flushPending) return;
    this.flushPending = true;
    setImmediate(() => {
      this.flushPending = false;
      if (this.db.open) this.syncNow();
    });
  }

  /** A real write (and fsync) for /health: proves the database file is writable now. */
  writeProbe(): void {
    stmt(this.db, 'INSERT INTO health_probe (id, at) VALUES (1, ?) ON CONFLICT(id) DO UPDATE SET at = excluded.at').run(this.iso());
  }

  /** Writes the group-commit queue, then copies the WAL into the database and truncates it. */
  checkpoint(): void {
    this.flush();
    this.db.pragma('wal_checkpoint(TRUNCATE)');
  }

  /**
   * Flushes, saves the clock mark, checkpoints, and always closes the handle. On a full disk
   * the last steps can fail: every committed receipt is still in the WAL (SQLite replays it
   * on the next open), so the handle is closed anyway and the error re-thrown for the log.
   */
  close(): void {
    let error: unknown = null;
    try {
      this.flush();
      this.db.transaction(() => saveHighWaterMark(this.db, this.clock.peek()))();
      this.db.pragma('wal_checkpoint(TRUNCATE)');
    } catch (err) {
      error = err;
    }
    this.db.close();
    if (error) throw error;
  }

  private transition(id: string, to: ReceiptStatus, fields: Record<string, unknown>, detail: unknown, remoteTime?: string): StoredReceipt {
    return this.db.transaction(() => {
      const cur = this.mustGet(id);
      if (!TRANSITIONS[cur.status].includes(to)) {
        throw new BufferError('bad_transition', `receipt ${id} is ${cur.status}; cannot become ${to}`);
      }
      if (remoteTime && /^\d{15}-/.test(remoteTime)) {
        this.clock.update(remoteTime);
        saveHighWaterMark(this.db, this.clock.peek());
      }
      const sets = Object.keys(fields).map((k) => `${k} = @${k}`).join(', ');
      stmt(this.db, `UPDATE receipts SET status = @status, updated_at = @updated_at${sets ? `, ${sets}` : ''} WHERE id = @id`)
        .run({ ...fields, status: to, updated_at: this.iso(), id });
      this.stmt.event.run(id, to, JSON.stringify(detail ?? null), this.iso());
      const after = this.mustGet(id);
      this.queued += (QUEUED_STATUSES.includes(to) ? 1 : 0) - (QUEUED_STATUSES.includes(cur.status) ? 1 : 0);
      return after;
    })();
  }

  private mustGet(id: string): StoredReceipt {
    const r = this.get(id);
    if (!r) throw new BufferError('not_found', `no receipt ${id}`);
    return r;
  }

  private iso(): string {
    return this.now().toISOString();
  }
}
