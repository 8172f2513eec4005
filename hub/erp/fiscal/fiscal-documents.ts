// The hub ingest calls recordFiscalDocument() for every fiscal document a box delivers. The
// ERP keeps the narrow projection it needs: the link to a lab order (sale, UAT-01), the link
// from a refund to its sale (UAT-02), and the sums per payment type for reports (UAT-04).
// Idempotent by receipt_id: at-least-once delivery may hand the same document twice.
import { z } from 'zod';
import type { Db } from '../../../shared/db.js';
import { zodFieldErrors } from '../../../shared/receipt.js';
import { ValidationError } from '../domain/errors.js';

const kopecks = z.number().int().nonnegative().max(999_999_999_999);

export const fiscalProjection = z.strictObject({
  receipt_id: z.string().min(1).max(64),
  store_id: z.string().min(1).max(64),
  box_id: z.string().min(1).max(64),
  type: z.enum(['sale', 'refund']),
  order_id: z.string().min(1).max(64).nullish(),
  original_receipt_id: z.string().min(1).max(64).nullish(),
  total: kopecks,
  payments: z.strictObject({ cash: kopecks, card: kopecks }),
  fiscal: z.strictObject({
    fn_number: z.string().regex(/^\d{16}$/, 'must be the 16-digit FN number'),
    fd_number: z.number().int().positive(),
    fiscal_sign: z.string().regex(/^\d{1,10}$/, 'must be the fiscal sign (FPD), up to 10 digits'),
    shift_number: z.number().int().positive(),
    /** The printer's local date-time of the document, as printed: YYYY-MM-DDTHH:MM(:SS). */
    datetime: z.string().regex(/^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}(:\d{2})?$/, 'must be the local date-time YYYY-MM-DDTHH:MM:SS'),
  }),
}).refine((p) => p.payments.cash + p.payments.card === p.total, { message: 'cash + card must equal total', path: ['payments'] })
  .refine((p) => p.type === 'sale' || !!p.original_receipt_id || !!p.order_id, {
    message: 'a refund needs original_receipt_id (or order_id) to link back', path: ['original_receipt_id'],
  });

export type FiscalProjection = z.input<typeof fiscalProjection>;

export interface FiscalDocument {
  receipt_id: string;
  store_id: string;
  box_id: string;
  type: 'sale' | 'refund';
  order_id: string | null;
  original_receipt_id: string | null;
  total: number;
  cash: number;
  card: number;
  fn_number: string;
  fd_number: number;
  fiscal_sign: string;
  shift_number: number;
  fiscal_at: string;
  received_at: string;
}

export function recordFiscalDocument(db: Db, projection: unknown, now: Date = new Date()): { stored: boolean; document: FiscalDocument } {
  const parsed = fiscalProjection.safeParse(projection);
  if (!parsed.success) {
    throw new ValidationError(zodFieldErrors(parsed.error).map((e) => ({ ...e, code: 'invalid', params: {} })));
  }
  const p = parsed.data;
  return db.transaction(() => {
    const existing = db.prepare('SELECT * FROM erp_fiscal_documents WHERE receipt_id = ?').get(p.receipt_id) as FiscalDocument | undefined;
    if (existing) return { stored: false, document: existing };
    let orderId = p.order_id ?? null;
    if (p.type === 'refund' && !orderId && p.original_receipt_id) {
      const orig = db.prepare('SELECT order_id FROM erp_fiscal_documents WHERE receipt_id = ?').get(p.original_receipt_id) as { order_id: string | null } | undefined;
      orderId = orig?.order_id ?? null;
    }
    const doc: FiscalDocument = {
      receipt_id: p.receipt_id, store_id: p.store_id, box_id: p.box_id, type: p.type, order_id: orderId,
      original_receipt_id: p.original_receipt_id ?? null, total: p.total, cash: p.payments.cash, card: p.payments.card,
      fn_number: p.fiscal.fn_number, fd_number: p.fiscal.fd_number, fiscal_sign: p.fiscal.fiscal_sign,
      shift_number: p.fiscal.shift_number, fiscal_at: p.fiscal.datetime.length === 16 ? `${p.fiscal.datetime}:00` : p.fiscal.datetime,
      received_at: now.toISOString(),
    };
    db.prepare(`INSERT INTO erp_fiscal_documents (receipt_id, store_id, box_id, type, order_id, original_receipt_id, total, cash, card,
      fn_number, fd_number, fiscal_sign, shift_number, fiscal_at, received_at) VALUES (@receipt_id, @store_id, @box_id, @type, @order_id,
      @original_receipt_id, @total, @cash, @card, @fn_number, @fd_number, @fiscal_sign, @shift_number, @fiscal_at, @received_at)`).run(doc);
    return { stored: true, document: doc };
  })();
}

export interface OrderPayments {
  documents: FiscalDocument[];
  paid: number;
  refunded: number;
  net: number;
}

/** Sales that name the order and refunds that name it or link back to one of its sales. */
export function paymentsForOrder(db: Db, orderNumber: string): OrderPayments {
  const documents = db.prepare(`SELECT * FROM erp_fiscal_documents WHERE order_id = ?
    OR original_receipt_id IN (SELECT receipt_id FROM erp_fiscal_documents WHERE order_id = ?) ORDER BY fiscal_at, fd_number`)
    .all(orderNumber, orderNumber) as FiscalDocument[];
  const paid = documents.filter((d) => d.type === 'sale').reduce((s, d) => s + d.total, 0);
  const refunded = documents.filter((d) => d.type === 'refund').reduce((s, d) => s + d.total, 0);
  return { documents, paid, refunded, net: paid - refunded };
}
