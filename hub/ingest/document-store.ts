// The hub's durable record of every fiscal document it accepted, its OFD forwarding state and
// the DLQ of messages it could not accept. One SQLite file (WAL, synchronous=FULL); inserts
// from one burst share a transaction (the ingest batches them).
import type { Statement } from 'better-sqlite3';
import { createHash } from 'node:crypto';
import { migrate, type Db } from '../../shared/db.js';
import { isReceipt, type DocumentMessage, type OfdStatus, type OfdTicket, type ReceiptAck } from '../../shared/mqtt/messages.js';

const MIGRATIONS = [{
  version: 1,
  name: 'documents and dlq',
  up: `
    CREATE TABLE hub_documents (
      receipt_id TEXT PRIMARY KEY,
      store_id TEXT NOT NULL,
      box_id TEXT NOT NULL,
      hlc TEXT NOT NULL,
      type TEXT NOT NULL,
      total INTEGER NOT NULL,
      fd_number INTEGER NOT NULL,
      fn_number TEXT NOT NULL,
      doc TEXT NOT NULL,
      received_at TEXT NOT NULL,
      ofd_status TEXT NOT NULL DEFAULT 'pending' CHECK (ofd_status IN ('pending', 'confirmed', 'dead')),
      attempts INTEGER NOT NULL DEFAULT 0,
      next_attempt_at INTEGER NOT NULL DEFAULT 0,
      last_error TEXT,
      ticket TEXT,
      confirmed_at TEXT,
      duplicates INTEGER NOT NULL DEFAULT 0
    );
    CREATE INDEX hub_documents_box_order ON hub_documents (box_id, ofd_status, hlc);
    CREATE TABLE hub_dlq (
      id INTEGER PRIMARY KEY AUTOINCREMENT,
      at TEXT NOT NULL,
      topic TEXT NOT NULL,
      payload BLOB NOT NULL,
      reason TEXT NOT NULL
    );`,
}, {
  version: 2,
  name: 'ack outbox',
  // 1 while the box has not yet been sent the document's latest OFD state: set in the same
  // transaction as that state, cleared when the broker has taken the ack (PUBACK). A hub
  // killed in between resends on its next start instead of leaving the box without its ticket.
  up: `ALTER TABLE hub_documents ADD COLUMN ack_due INTEGER NOT NULL DEFAULT 0;
    CREATE INDEX hub_documents_ack_due ON hub_documents (ack_due) WHERE ack_due = 1;`,
}, {
  version: 3,
  name: 'dlq repeats',
  // A refused document gets no ack, so its box publishes the same bytes again every ackTimeoutMs
  // until someone acts: one row per (topic, payload, reason) with a counter, not ~2,900 a day.
  up: `ALTER TABLE hub_dlq ADD COLUMN payload_sha256 TEXT;
    ALTER TABLE hub_dlq ADD COLUMN repeats INTEGER NOT NULL DEFAULT 0;
    ALTER TABLE hub_dlq ADD COLUMN last_at TEXT;
    CREATE UNIQUE INDEX hub_dlq_same ON hub_dlq (topic, payload_sha256, reason);`,
}];

export interface StoredDocument {
  receipt_id: string;
  store_id: string;
  box_id: string;
  hlc: string;
  ofd_status: OfdStatus;
  attempts: number;
  next_attempt_at: number;
  last_error: string | null;
  ticket: OfdTicket | null;
  doc: DocumentMessage;
}

interface Row extends Omit<StoredDocument, 'ticket' | 'doc'> { ticket: string | null; doc: string }

/**
 * What became of one received document: stored, a republish of a stored one (answered with its
 * state), or refused because its receipt id already names another document (not stored, not
 * acked; the reason goes to the DLQ).
 */
export type InsertOutcome = 'stored' | 'duplicate' | { refused: string };

const toDoc = (r: Row): StoredDocument => ({ ...r, ticket: r.ticket ? JSON.parse(r.ticket) as OfdTicket : null, doc: JSON.parse(r.doc) as DocumentMessage });

/** Largest malformed payload kept in the DLQ; the rest is cut (the reason says so). */
const DLQ_PAYLOAD_MAX = 64 * 1024;

export class DocumentStore {
  readonly db: Db;
  readonly #insert;
  readonly #bumpDup;
  readonly #identity;
  readonly #get;
  readonly #state;
  readonly #stmts = new Map<string, Statement>();

  /** Compiled once: the forwarder runs these for every document. */
  #st(sql: string): Statement {
    let st = this.#stmts.get(sql);
    if (!st) { st = this.db.prepare(sql); this.#stmts.set(sql, st); }
    return st;
  }

  constructor(db: Db) {
    this.db = db;
    migrate(db, 'hub_ingest', MIGRATIONS);
    this.#insert = db.prepare(`INSERT OR IGNORE INTO hub_documents
      (receipt_id, store_id, box_id, hlc, type, total, fd_number, fn_number, doc, received_at)
      VALUES (@receipt_id, @store_id, @box_id, @hlc, @type, @total, @fd_number, @fn_number, @doc, @received_at)`);
    this.#bumpDup = db.prepare('UPDATE hub_documents SET duplicates = duplicates + 1 WHERE receipt_id = ?');
    this.#identity = db.prepare('SELECT store_id, box_id, fn_number, fd_number FROM hub_documents WHERE receipt_id = ?');
    this.#get = db.prepare('SELECT * FROM hub_documents WHERE receipt_id = ?');
    this.#state = db.prepare('SELECT ofd_status, attempts, ticket, last_error FROM hub_documents WHERE receipt_id = ?');
  }

  /**
   * Stores a batch in one transaction; per message, what became of it. A receipt id seen
   * before is a duplicate only when the same box sends the same fiscal document (FN + FD
   * number) again: receipt ids are the boxes' own UUIDs, and answering another box's document
   * with this one's state would hand that box a foreign ticket while its own receipt never
   * reached the OFD.
   */
  insertMany(msgs: readonly DocumentMessage[], now = new Date()): InsertOutcome[] {
    const at = now.toISOString();
    return this.db.transaction(() => msgs.map((m): InsertOutcome => {
      const r = this.#insert.run({
        receipt_id: m.receipt_id, store_id: m.store_id, box_id: m.box_id, hlc: m.hlc, type: m.type, total: isReceipt(m) ? m.total : 0,
        fd_number: m.fiscal.fd_number, fn_number: m.fiscal.fn_number, doc: JSON.stringify(m), received_at: at,
      });
      if (r.changes === 1) return 'stored';
      const had = this.#identity.get(m.receipt_id) as { store_id: string; box_id: string; fn_number: string; fd_number: number };
      if (had.store_id !== m.store_id || had.box_id !== m.box_id) {
        return { refused: `receipt_id ${m.receipt_id} is already used by another box (${had.store_id}/${had.box_id}); this document (FN ${m.fiscal.fn_number} FD ${m.fiscal.fd_number}) was not stored` };
      }
      if (had.fn_number !== m.fiscal.fn_number || had.fd_number !== m.fiscal.fd_number) {
        return { refused: `receipt_id ${m.receipt_id} already names another document of this box (FN ${had.fn_number} FD ${had.fd_number}); this one (FN ${m.fiscal.fn_number} FD ${m.fiscal.fd_number}) was not stored` };
      }
      this.#bumpDup.run(m.receipt_id);
      return 'duplicate';
    }))();
  }

  get(receiptId: string): StoredDocument | undefined {
    const r = this.#get.get(receiptId) as Row | undefined;
    return r ? toDoc(r) : undefined;
  }

  /** The ack for a stored document: its current OFD state, ticket included once known. */
  ackFor(receiptId: string, result: ReceiptAck['result']): ReceiptAck | undefined {
    const d = this.#state.get(receiptId) as Pick<Row, 'ofd_status' | 'attempts' | 'ticket' | 'last_error'> | undefined;
    if (!d) return undefined;
    const ofd: ReceiptAck['ofd'] = { status: d.ofd_status, attempts: d.attempts };
    if (d.ticket) ofd.ticket = JSON.parse(d.ticket) as OfdTicket;
    if (d.ofd_status === 'dead' && d.last_error) ofd.reason = d.last_error.slice(0, 500);
    return { receipt_id: receiptId, result, ofd };
  }

  /**
   * Per box, the oldest pending document in HLC order if it is due. A box whose head is
   * waiting out its backoff sends nothing else: the OFD sees each box's documents in order.
   */
  dueHeads(nowMs: number, limit: number): StoredDocument[] {
    const rows = this.#st(`SELECT d.* FROM hub_documents d
      JOIN (SELECT box_id, MIN(hlc) AS hlc FROM hub_documents WHERE ofd_status = 'pending' GROUP BY box_id) h
        ON d.box_id = h.box_id AND d.hlc = h.hlc
      WHERE d.ofd_status = 'pending' AND d.next_attempt_at <= ? ORDER BY d.next_attempt_at, d.hlc LIMIT ?`).all(nowMs, limit) as Row[];
    return rows.map(toDoc);
  }

  /** Earliest time any box head becomes due, or null when nothing is pending. */
  nextDueAt(): number | null {
    const r = this.#st(`SELECT MIN(d.next_attempt_at) AS t FROM hub_documents d
      JOIN (SELECT box_id, MIN(hlc) AS hlc FROM hub_documents WHERE ofd_status = 'pending' GROUP BY box_id) h
        ON d.box_id = h.box_id AND d.hlc = h.hlc`).get() as { t: number | null };
    return r.t;
  }

  /** A box's next pending documents in HLC order, starting at its head: one OFD batch. */
  pendingOfBox(boxId: string, limit: number): StoredDocument[] {
    return (this.#st(`SELECT * FROM hub_documents WHERE box_id = ? AND ofd_status = 'pending' ORDER BY hlc LIMIT ?`)
      .all(boxId, limit) as Row[]).map(toDoc);
  }

  /** The OFD's answers to one batch, stored in one transaction (one commit per batch). */
  applyOfdResults(results: readonly ({ receipt_id: string; ticket: OfdTicket } | { receipt_id: string; dead: string })[], now = new Date()): void {
    this.db.transaction(() => {
      for (const r of results) {
        if ('ticket' in r) this.markConfirmed(r.receipt_id, r.ticket, now);
        else { this.markFailed(r.receipt_id, r.dead, 0); this.markDead(r.receipt_id, `rejected by the OFD: ${r.dead}`); }
      }
    })();
  }

  markConfirmed(receiptId: string, ticket: OfdTicket, now = new Date()): void {
    this.#st(`UPDATE hub_documents SET ofd_status = 'confirmed', ticket = ?, confirmed_at = ?, attempts = attempts + 1, last_error = NULL,
      ack_due = 1 WHERE receipt_id = ?`).run(JSON.stringify(ticket), now.toISOString(), receiptId);
  }

  /** Records a failed attempt; returns the new attempt count. */
  markFailed(receiptId: string, error: string, nextAttemptAt: number): number {
    const r = this.#st(`UPDATE hub_documents SET attempts = attempts + 1, last_error = ?, next_attempt_at = ?
      WHERE receipt_id = ? RETURNING attempts`).get(error.slice(0, 1000), nextAttemptAt, receiptId) as { attempts: number };
    return r.attempts;
  }

  markDead(receiptId: string, reason: string): void {
    this.#st("UPDATE hub_documents SET ofd_status = 'dead', last_error = ?, ack_due = 1 WHERE receipt_id = ?").run(reason.slice(0, 1000), receiptId);
  }

  /** Documents whose box has not been sent their latest OFD state. */
  dueAcks(limit = 1000): { receipt_id: string; store_id: string; box_id: string; ofd_status: OfdStatus }[] {
    return this.#st('SELECT receipt_id, store_id, box_id, ofd_status FROM hub_documents WHERE ack_due = 1 LIMIT ?').all(limit) as
      { receipt_id: string; store_id: string; box_id: string; ofd_status: OfdStatus }[];
  }

  /** The broker took the ack for this state; a later state change sets ack_due again. */
  ackSent(receiptId: string, status: OfdStatus): void {
    this.#st('UPDATE hub_documents SET ack_due = 0 WHERE receipt_id = ? AND ofd_status = ?').run(receiptId, status);
  }

  /** Operator re-drive: dead documents (all, or the given ones) go back to pending with a fresh budget. */
  redrive(receiptIds?: readonly string[]): string[] {
    return this.db.transaction(() => {
      const rows = (receiptIds?.length
        ? receiptIds.map((id) => this.#st("SELECT receipt_id FROM hub_documents WHERE receipt_id = ? AND ofd_status = 'dead'").get(id)).filter(Boolean)
        : this.#st("SELECT receipt_id FROM hub_documents WHERE ofd_status = 'dead'").all()) as { receipt_id: string }[];
      const st = this.#st("UPDATE hub_documents SET ofd_status = 'pending', attempts = 0, next_attempt_at = 0 WHERE receipt_id = ?");
      for (const r of rows) st.run(r.receipt_id);
      return rows.map((r) => r.receipt_id);
    })();
  }

  dead(limit = 100): { receipt_id: string; box_id: string; attempts: number; last_error: string | null }[] {
    return this.#st("SELECT receipt_id, box_id, attempts, last_error FROM hub_documents WHERE ofd_status = 'dead' ORDER BY hlc LIMIT ?").all(limit) as
      { receipt_id: string; box_id: string; attempts: number; last_error: string | null }[];
  }

  counts(): { pending: number; confirmed: number; dead: number; duplicates: number; malformed: number } {
    const r = this.#st(`SELECT
      COALESCE(SUM(ofd_status = 'pending'), 0) AS pending, COALESCE(SUM(ofd_status = 'confirmed'), 0) AS confirmed,
      COALESCE(SUM(ofd_status = 'dead'), 0) AS dead, COALESCE(SUM(duplicates), 0) AS duplicates FROM hub_documents`).get() as
      { pending: number; confirmed: number; dead: number; duplicates: number };
    const m = this.#st('SELECT COUNT(*) AS n FROM hub_dlq').get() as { n: number };
    return { ...r, malformed: m.n };
  }

  addMalformed(topic: string, payload: Buffer, reason: string, now = new Date()): void {
    const cut = payload.length > DLQ_PAYLOAD_MAX;
    this.#st(`INSERT INTO hub_dlq (at, topic, payload, reason, payload_sha256) VALUES (?, ?, ?, ?, ?)
      ON CONFLICT (topic, payload_sha256, reason) DO UPDATE SET repeats = repeats + 1, last_at = excluded.at`)
      .run(now.toISOString(), topic.slice(0, 1024), cut ? payload.subarray(0, DLQ_PAYLOAD_MAX) : payload,
        cut ? `${reason} (payload of ${payload.length} bytes cut to ${DLQ_PAYLOAD_MAX})` : reason, createHash('sha256').update(payload).digest('hex'));
  }

  /** Most recently seen first (a refusal still recurring stays on top); `repeats`: how many more times the same bytes came with the same reason (last at `last_at`). */
  malformed(limit = 100): { id: number; at: string; topic: string; reason: string; payload: string; repeats: number; last_at: string | null }[] {
    return (this.#st('SELECT id, at, topic, reason, payload, repeats, last_at FROM hub_dlq ORDER BY COALESCE(last_at, at) DESC, id DESC LIMIT ?').all(limit) as
      { id: number; at: string; topic: string; reason: string; payload: Buffer; repeats: number; last_at: string | null }[])
      .map((r) => ({ ...r, payload: r.payload.toString('utf8').slice(0, 2000) }));
  }
}
