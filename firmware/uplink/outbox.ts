// The box's SQLite buffer seen as the uplink's outbox: which documents to publish, in HLC
// order, and how one becomes a contract message (shared/mqtt/messages.ts). The FFD TLV of a
// document is read once from its source (the FN) and kept beside the receipt, so a republish
// never touches the serial line again.
import { migrate, type Db } from '../../shared/db.js';
import { receiptMessage, reportMessage, type DocumentMessage, type ReceiptMessage, type ReportMessage } from '../../shared/mqtt/messages.js';
import type { ReceiptBuffer, StoredReceipt } from '../buffer/receipt-buffer.js';
import { fromRow, type ReceiptRow } from '../buffer/stored-receipt.js';

/** Where a document's TLV comes from: the FN (printer) or, without one, a synthetic copy. */
export interface TlvSource { tlv(r: StoredReceipt, fd: number): Promise<Buffer> }

/** The seam's fiscal data as the printer fiscaliser stores it (firmware/printer/box-fiscaliser.ts). */
interface SeamFiscal {
  fiscal_document_number: number;
  fiscal_sign: string;
  fn_serial: string;
  shift_number?: number;
  receipt_number?: number;
  printed_at: string;
}

const MIGRATIONS = [{
  version: 1,
  name: 'uplink tlv cache',
  up: 'CREATE TABLE uplink_tlv (receipt_id TEXT PRIMARY KEY, tlv BLOB NOT NULL)',
}];

export class Outbox {
  readonly #db: Db;
  readonly #stmt;

  constructor(readonly buffer: ReceiptBuffer, private readonly source: TlvSource, private readonly address: { store: string; box: string }) {
    this.#db = buffer.db;
    migrate(this.#db, 'uplink', MIGRATIONS);
    this.#stmt = {
      printed: this.#db.prepare("SELECT * FROM receipts WHERE status = 'printed' ORDER BY hlc LIMIT ?"),
      delivered: this.#db.prepare("SELECT * FROM receipts WHERE status = 'delivered' ORDER BY hlc LIMIT ?"),
      tlvGet: this.#db.prepare('SELECT tlv FROM uplink_tlv WHERE receipt_id = ?'),
      tlvPut: this.#db.prepare('INSERT OR IGNORE INTO uplink_tlv (receipt_id, tlv) VALUES (?, ?)'),
      counts: this.#db.prepare("SELECT COALESCE(SUM(status = 'printed'), 0) AS unsent, COALESCE(SUM(status = 'delivered'), 0) AS unsynced FROM receipts"),
    };
  }

  /** Fiscalised documents the hub has not acknowledged, oldest HLC first. */
  unsent(limit: number): StoredReceipt[] {
    return (this.#stmt.printed.all(limit) as ReceiptRow[]).map(fromRow);
  }

  /** Documents the hub holds whose OFD ticket the box has not seen yet. */
  unsynced(limit: number): StoredReceipt[] {
    return (this.#stmt.delivered.all(limit) as ReceiptRow[]).map(fromRow);
  }

  counts(): { unsent: number; unsynced: number } {
    return this.#stmt.counts.get() as { unsent: number; unsynced: number };
  }

  async message(r: StoredReceipt): Promise<DocumentMessage> {
    const [m] = await this.messages([r]);
    if (!m || !m.ok) throw m?.error ?? new Error(`receipt ${r.id}: no message`);
    return m.message;
  }

  /**
   * Messages for several documents; TLVs read from the source for the first time are cached
   * in one transaction (one commit for the lot, not one per document). Per document, its
   * message or why it cannot be sent.
   */
  async messages(rs: readonly StoredReceipt[]): Promise<({ r: StoredReceipt; ok: true; message: DocumentMessage } | { r: StoredReceipt; ok: false; error: Error })[]> {
    const fresh: [string, Buffer][] = [];
    const tlvs: (Buffer | Error)[] = [];
    for (const r of rs) {
      const f = r.fiscalData as SeamFiscal | null;
      if (!f || typeof f.fiscal_document_number !== 'number') { tlvs.push(new Error(`receipt ${r.id} has no fiscal data`)); continue; }
      let tlv = (this.#stmt.tlvGet.get(r.id) as { tlv: Buffer } | undefined)?.tlv;
      if (!tlv) {
        try {
          tlv = await this.source.tlv(r, f.fiscal_document_number);
        } catch (err) {
          tlvs.push(err as Error);
          continue;
        }
        fresh.push([r.id, tlv]);
      }
      tlvs.push(tlv);
    }
    if (fresh.length) this.#db.transaction(() => { for (const [id, tlv] of fresh) this.#stmt.tlvPut.run(id, tlv); })();
    return rs.map((r, i) => {
      const tlv = tlvs[i]!;
      if (tlv instanceof Error) return { r, ok: false as const, error: tlv };
      try {
        return { r, ok: true as const, message: this.#build(r, r.fiscalData as SeamFiscal, tlv) };
      } catch (err) {
        return { r, ok: false as const, error: err as Error };
      }
    });
  }

  #build(r: StoredReceipt, f: SeamFiscal, tlv: Buffer): DocumentMessage {
    if (r.type === 'shift_open' || r.type === 'shift_close') {
      return reportMessage.parse({
        v: 1, receipt_id: r.id, hlc: r.hlc, store_id: this.address.store, box_id: this.address.box, type: r.type,
        fiscal: {
          fd_number: f.fiscal_document_number, fiscal_sign: f.fiscal_sign, fn_number: f.fn_serial, shift: f.shift_number ?? 1,
          datetime: new Date(f.printed_at).toISOString(),
        },
        tlv_b64: tlv.toString('base64'), created_at: new Date(r.createdAt).toISOString(),
      } satisfies ReportMessage);
    }
    const msg: ReceiptMessage = {
      v: 1,
      receipt_id: r.id,
      hlc: r.hlc,
      store_id: this.address.store,
      box_id: this.address.box,
      pos_id: r.posId,
      type: r.type,
      total: r.total,
      items: r.receipt.items.map((it) => ({
        name: it.name, qty: it.qty, price: it.price, sum: it.sum, vat: it.vat, payment_method: it.payment_method,
        payment_object: it.payment_object, ...(it.product_id !== undefined ? { product_id: it.product_id } : {}),
      })),
      // The document carries what the customer paid towards the total; change is not part of it.
      payments: paymentsWithoutChange(r),
      fiscal: {
        fd_number: f.fiscal_document_number,
        fiscal_sign: f.fiscal_sign,
        fn_number: f.fn_serial,
        shift: f.shift_number ?? 1,
        receipt_in_shift: f.receipt_number ?? 1,
        datetime: new Date(f.printed_at).toISOString(),
      },
      tlv_b64: tlv.toString('base64'),
      created_at: new Date(r.createdAt).toISOString(),
    };
    if (r.receipt.order_id !== undefined) msg.order_id = r.receipt.order_id;
    if (r.receipt.original_receipt_id !== undefined) msg.original_receipt_id = r.receipt.original_receipt_id;
    return receiptMessage.parse(msg);
  }
}

function paymentsWithoutChange(r: StoredReceipt): ReceiptMessage['payments'] {
  let change = r.receipt.change;
  return r.receipt.payments.map((p) => {
    if (p.method !== 'cash' || change === 0) return { method: p.method, amount: p.amount };
    const cut = Math.min(change, p.amount);
    change -= cut;
    return { method: p.method, amount: p.amount - cut };
  }).filter((p) => p.amount > 0);
}
