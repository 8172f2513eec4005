// The receipt model shared by box and hub: the POS-facing request schema (snake_case, rubles)
// and the normalised internal form (integer kopecks and thousandths) that the buffer stores,
// the printer prints and the hub ingests.
import { z } from 'zod';
import { formatRubles, lineTotal, MAX_KOPECKS, quantityToMilli, rublesToKopecks, type Kopecks, type Milli } from './money.js';

export const VAT_CODES = [
  'vat22', 'vat20', 'vat10', 'vat7', 'vat5', 'vat0', 'none', 'vat22_122', 'vat20_120', 'vat10_110',
] as const;
export type VatCode = (typeof VAT_CODES)[number];

/** Tag 1214, "признак способа расчёта". */
export const PAYMENT_METHODS = {
  full_prepayment: 1, partial_prepayment: 2, advance: 3, full_payment: 4,
  partial_payment: 5, credit: 6, credit_payment: 7,
} as const;
export type PaymentMethod = keyof typeof PAYMENT_METHODS;

/** Tag 1212, "признак предмета расчёта". */
export const PAYMENT_OBJECTS = {
  commodity: 1, excise: 2, job: 3, service: 4, gambling_bet: 5, gambling_prize: 6,
  lottery: 7, lottery_prize: 8, intellectual_activity: 9, payment: 10, agent_commission: 11,
  composite: 12, another: 13, property_right: 14, non_operating_gain: 15, insurance_premium: 16,
  sales_tax: 17, resort_fee: 18, deposit: 19,
} as const;
export type PaymentObject = keyof typeof PAYMENT_OBJECTS;

export const RECEIPT_TYPES = ['sale', 'refund'] as const;
export type ReceiptType = (typeof RECEIPT_TYPES)[number];
/**
 * Fiscal documents a box records besides sales: the FN's shift reports. They are stored and
 * uploaded like receipts (the OFD must ticket them), with no items and no money.
 */
export const FN_REPORT_TYPES = ['shift_open', 'shift_close'] as const;
export type FnReportType = (typeof FN_REPORT_TYPES)[number];
export type DocumentType = ReceiptType | FnReportType;
export const TENDERS = ['cash', 'card'] as const;
export type Tender = (typeof TENDERS)[number];

// A missing or non-numeric value gets a plain message instead of zod's bare "Invalid input".
const numberish = (what: string) => z.union([z.number(), z.string()], {
  error: (iss) => (iss.input === undefined ? 'is required' : `must be ${what} (a JSON number or a decimal string)`),
});

const rubles = numberish('an amount in rubles').transform((v, ctx) => {
  const k = rublesToKopecks(v);
  if (k === null) {
    ctx.addIssue({ code: 'custom', message: `must be a non-negative amount in rubles with at most 2 decimals, up to ${formatRubles(MAX_KOPECKS)}` });
    return z.NEVER;
  }
  return k;
});

const quantity = numberish('a quantity').transform((v, ctx) => {
  const m = quantityToMilli(v);
  if (m === null || m === 0) {
    ctx.addIssue({ code: 'custom', message: 'must be a positive quantity with at most 3 decimals, up to 99999.999' });
    return z.NEVER;
  }
  return m;
});

// Fiscal text is printed and stored in the fiscal drive: control characters (a NUL ends the
// printer's field, an escape sequence garbles the slip) are refused, not passed on.
const text = (max: number) => z.string().trim().min(1, 'must not be empty').max(max, `must be at most ${max} characters`)
  .refine((s) => !hasControlChar(s), 'must not contain control characters (NUL, tab, newline, escape...)');
/** The same rule for other short texts the POS sends (a cancel reason). */
export const boundedText = text;

/** True for C0 controls and DEL: what fiscal text may not carry (see `text`). */
export function hasControlChar(s: string): boolean {
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i);
    if (c < 0x20 || c === 0x7f) return true;
  }
  return false;
}

export const receiptItemInput = z.strictObject({
  name: text(128),
  qty: quantity,
  price: rubles,
  vat: z.enum(VAT_CODES).optional(),
  product_id: text(64).optional(),
  payment_method: z.enum(Object.keys(PAYMENT_METHODS) as [PaymentMethod, ...PaymentMethod[]]).optional(),
  payment_object: z.enum(Object.keys(PAYMENT_OBJECTS) as [PaymentObject, ...PaymentObject[]]).optional(),
});

export const paymentInput = z.strictObject({
  method: z.enum(TENDERS),
  amount: rubles,
});

export const receiptInput = z.strictObject({
  pos_id: text(64),
  type: z.enum(RECEIPT_TYPES),
  items: z.array(receiptItemInput).min(1, 'a receipt needs at least one item').max(100, 'at most 100 items per receipt'),
  payments: z.array(paymentInput).min(1, 'a receipt needs at least one payment').max(10, 'at most 10 payments'),
  original_receipt_id: z.uuid('must be a receipt id (UUID)').transform((id) => id.toLowerCase()).optional(),
  order_id: text(64).optional(),
  customer: z.strictObject({
    email: z.email('must be an e-mail address').max(64).optional(),
    phone: z.string().regex(/^\+?\d{10,15}$/, 'must be a phone number: + and 10-15 digits').optional(),
  }).optional(),
});
export type ReceiptInput = z.input<typeof receiptInput>;
type ParsedInput = z.output<typeof receiptInput>;

export interface ReceiptItem {
  name: string;
  qty: Milli;
  price: Kopecks;
  sum: Kopecks;
  vat: VatCode;
  product_id?: string;
  payment_method: PaymentMethod;
  payment_object: PaymentObject;
}

export interface ReceiptPayment { method: Tender; amount: Kopecks }

/** The normalised receipt: every amount in kopecks, every quantity in thousandths. */
export interface Receipt {
  pos_id: string;
  /** A POS sale or refund; a shift report only in rows the box records from the FN. */
  type: DocumentType;
  items: ReceiptItem[];
  payments: ReceiptPayment[];
  total: Kopecks;
  change: Kopecks;
  original_receipt_id?: string;
  order_id?: string;
  customer?: { email?: string; phone?: string };
}

export interface FieldError { field: string; message: string }

export type NormaliseResult = { ok: true; receipt: Receipt } | { ok: false; errors: FieldError[] };

export interface NormaliseOptions { defaultVat: VatCode }

function pathOf(path: readonly PropertyKey[]): string {
  return path.reduce<string>((acc, p) => (typeof p === 'number' ? `${acc}[${p}]` : acc ? `${acc}.${String(p)}` : String(p)), '');
}

/** zod issues as one entry per bad field, unknown keys named one by one. */
export function zodFieldErrors(error: z.ZodError): FieldError[] {
  const out: FieldError[] = [];
  for (const issue of error.issues) {
    if (issue.code === 'unrecognized_keys') {
      for (const key of issue.keys) out.push({ field: pathOf([...issue.path, key]), message: 'unknown field' });
    } else {
      out.push({ field: pathOf(issue.path) || '(body)', message: issue.message });
    }
  }
  return out;
}

/**
 * Validates a POS request and computes totals. Payments must cover the total exactly,
 * except that cash may exceed it (the change is returned, as fiscal printers do);
 * card payments alone may never exceed the total.
 */
export function normaliseReceipt(body: unknown, opts: NormaliseOptions): NormaliseResult {
  const parsed = receiptInput.safeParse(body);
  if (!parsed.success) return { ok: false, errors: zodFieldErrors(parsed.error) };
  return checkTotals(parsed.data, opts);
}

function checkTotals(input: ParsedInput, opts: NormaliseOptions): NormaliseResult {
  const errors: FieldError[] = [];
  const items: ReceiptItem[] = input.items.map((it) => {
    const item: ReceiptItem = {
      name: it.name,
      qty: it.qty,
      price: it.price,
      sum: lineTotal(it.price, it.qty),
      vat: it.vat ?? opts.defaultVat,
      payment_method: it.payment_method ?? 'full_payment',
      payment_object: it.payment_object ?? 'commodity',
    };
    if (it.product_id !== undefined) item.product_id = it.product_id;
    return item;
  });
  items.forEach((it, i) => {
    if (it.sum > MAX_KOPECKS) errors.push({ field: `items[${i}]`, message: `qty x price is ${fmt(it.sum)}, above the largest amount a receipt line can carry (${fmt(MAX_KOPECKS)})` });
  });
  const total = items.reduce((s, it) => s + it.sum, 0);
  if (total > MAX_KOPECKS) errors.push({ field: 'items', message: `the receipt total ${fmt(total)} is above the largest amount a receipt can carry (${fmt(MAX_KOPECKS)})` });
  const cash = input.payments.filter((p) => p.method === 'cash').reduce((s, p) => s + p.amount, 0);
  const card = input.payments.filter((p) => p.method === 'card').reduce((s, p) => s + p.amount, 0);
  if (cash + card > MAX_KOPECKS) errors.push({ field: 'payments', message: `payments add up to ${fmt(cash + card)}, above the largest amount a receipt can carry (${fmt(MAX_KOPECKS)})` });
  if (errors.length) return { ok: false, errors };
  if (total === 0) errors.push({ field: 'items', message: 'the receipt total is zero: nothing to fiscalise' });
  for (const message of paymentProblems(input.type, total, input.payments)) errors.push({ field: 'payments', message });
  if (input.type === 'sale' && input.original_receipt_id !== undefined) {
    errors.push({ field: 'original_receipt_id', message: 'only a refund references an original receipt' });
  }
  if (errors.length) return { ok: false, errors };
  const receipt: Receipt = {
    pos_id: input.pos_id,
    type: input.type,
    items,
    payments: input.payments.map((p) => ({ method: p.method, amount: p.amount })),
    total,
    change: cash + card - total,
  };
  if (input.original_receipt_id !== undefined) receipt.original_receipt_id = input.original_receipt_id;
  if (input.order_id !== undefined) receipt.order_id = input.order_id;
  if (input.customer !== undefined) receipt.customer = input.customer;
  return { ok: true, receipt };
}

/**
 * Payments against a total, both in kopecks: they must cover it exactly, except that cash may
 * exceed it (the change is returned, as fiscal printers do); card payments alone may never
 * exceed it, and a refund gives no change. The box applies this to a POS request and the hub
 * to the document it receives, so both refuse the same receipts. Empty when acceptable.
 */
export function paymentProblems(type: ReceiptType, total: Kopecks, payments: readonly { method: Tender; amount: Kopecks }[]): string[] {
  const cash = payments.filter((p) => p.method === 'cash').reduce((s, p) => s + p.amount, 0);
  const card = payments.filter((p) => p.method === 'card').reduce((s, p) => s + p.amount, 0);
  const problems: string[] = [];
  if (card > total) {
    problems.push(`card payments ${fmt(card)} exceed the total ${fmt(total)}; only cash may exceed it`);
  } else if (cash + card < total) {
    problems.push(`payments ${fmt(cash + card)} do not cover the total ${fmt(total)}`);
  } else if (cash + card > total && cash === 0) {
    problems.push(`payments ${fmt(cash + card)} exceed the total ${fmt(total)}`);
  }
  if (type === 'refund' && cash + card > total) {
    problems.push(`a refund pays back exactly the total ${fmt(total)}; no change is given`);
  }
  return problems;
}

function fmt(k: number): string {
  return `${Math.floor(k / 100)}.${String(k % 100).padStart(2, '0')} RUB`;
}
