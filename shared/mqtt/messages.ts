// Payload schemas of the uplink contract (docs/mqtt-topics.md). Box and hub parse every
// message they receive with these and build every message they send through them, so a
// drift between the two sides fails a test instead of a store.
//
// Documents (receipt, ack) are strict: an unknown field is a contract violation and lands in
// the hub's DLQ. Telemetry (heartbeat, status, power) strips unknown fields so a newer box can
// add facts without breaking an older hub.
import { z } from 'zod';
import { receiptTlvFacts } from '../ffd/receipt.js';
import { reportTlvFacts } from '../ffd/report.js';
import { lineTotal, MAX_KOPECKS, MAX_MILLI } from '../money.js';
import {
  FN_REPORT_TYPES, paymentProblems, PAYMENT_METHODS, PAYMENT_OBJECTS, RECEIPT_TYPES, TENDERS, VAT_CODES, type PaymentMethod, type PaymentObject,
  type ReceiptType,
} from '../receipt.js';
import { ID_PATTERN } from './topics.js';

export const CONTRACT_VERSION = 1;

// Every length limit below aborts: zod otherwise runs a string's later checks even after one
// failed, and the base64 pattern recurses per 4 characters, so a 10 MiB tlv_b64 whose length
// check had already failed still overflowed the stack in the pattern (and took ~170 MB).
const id = z.string().max(64, { abort: true }).regex(ID_PATTERN, 'must be 1-64 of A-Z a-z 0-9 _ - (not starting with _ or -)');
const kopecks = z.number().int().min(0).max(MAX_KOPECKS);
const milli = z.number().int().min(1).max(MAX_MILLI);
const isoTime = z.iso.datetime({ offset: true });
const base64 = (maxChars: number) => z.string().max(maxChars, { abort: true })
  .regex(/^(?:[A-Za-z0-9+/]{4})*(?:[A-Za-z0-9+/]{2}==|[A-Za-z0-9+/]{3}=)?$/, 'must be base64');
/**
 * A receipt's TLV as base64. FFD caps a receipt document at 32 768 bytes of value (4 more for
 * its header), 43 700 base64 characters; 100 items of the longest names stay under that.
 */
export const MAX_RECEIPT_TLV_B64 = 64 * 1024;
/** An operator confirmation (form 7) is at most 512 bytes, 688 base64 characters. */
export const MAX_TICKET_TLV_B64 = 4 * 1024;
/**
 * Text of a document the FN already holds. Control characters are refused where a POS sends a
 * sale (shared/receipt.ts), not here: a receipt fiscalised before that check existed must
 * still reach the OFD, or the FN counts it unsent until it blocks.
 */
const text = (max: number) => z.string().min(1).max(max, { abort: true });
/**
 * HLC stamp as text whose lexicographic order is the clock's order (zero-padded wall time,
 * counter, node). The hub orders one box's documents by comparing these strings.
 */
export const hlcStamp = z.string().min(1).max(80, { abort: true }).regex(/^[0-9A-Za-z:._-]+$/, 'must be a sortable HLC text');

/** Tag 1054 of each receipt type. */
const SETTLEMENT_TYPE: Record<ReceiptType, number> = { sale: 1, refund: 2 };
const SETTLEMENT_NAMES: Record<number, string> = { 1: 'sale', 2: 'refund', 3: 'expense', 4: 'expense return' };

export const fiscalData = z.strictObject({
  fd_number: z.number().int().min(1).max(0xffffffff),
  /** ФПД as the decimal number printed in the QR code (bytes 2-5 of tag 1077). */
  fiscal_sign: z.string().max(10, { abort: true }).regex(/^\d{1,10}$/, 'must be the decimal fiscal sign'),
  fn_number: z.string().regex(/^\d{16}$/, 'must be the 16-digit FN number'),
  shift: z.number().int().min(1).max(0xffffffff),
  receipt_in_shift: z.number().int().min(1).max(0xffffffff),
  datetime: isoTime,
});
export type FiscalData = z.infer<typeof fiscalData>;

export const documentItem = z.strictObject({
  name: text(128),
  qty: milli,
  price: kopecks,
  sum: kopecks,
  vat: z.enum(VAT_CODES),
  payment_method: z.enum(Object.keys(PAYMENT_METHODS) as [PaymentMethod, ...PaymentMethod[]]),
  payment_object: z.enum(Object.keys(PAYMENT_OBJECTS) as [PaymentObject, ...PaymentObject[]]),
  product_id: text(64).optional(),
});

type Mismatch = (path: (string | number)[], json: unknown, tag: number | string, tlv: unknown) => void;

/** Reports a JSON field that says something else than the TLV document the OFD will receive. */
const tlvMismatch = (ctx: z.RefinementCtx): Mismatch => (path, json, tag, tlv) =>
  ctx.addIssue({ code: 'custom', path, message: `${String(json)} does not match the TLV document's ${typeof tag === 'number' ? `tag ${tag}` : tag} (${String(tlv)})` });

/** The fiscal identity every document's JSON shares with its TLV: FD number, fiscal sign, FN. */
function fiscalMismatches(j: { fd_number: number; fiscal_sign: string; fn_number: string }, f: { fdNumber: number; fiscalSign: string; fnNumber: string }, differs: Mismatch): void {
  if (j.fd_number !== f.fdNumber) differs(['fiscal', 'fd_number'], j.fd_number, 1040, f.fdNumber);
  if (Number(j.fiscal_sign) !== Number(f.fiscalSign)) differs(['fiscal', 'fiscal_sign'], j.fiscal_sign, 1077, f.fiscalSign);
  if (j.fn_number !== f.fnNumber) differs(['fiscal', 'fn_number'], j.fn_number, 1041, f.fnNumber);
}

/** box -> hub, topic .../receipt, QoS 1. One fiscalised document. */
export const receiptMessage = z.strictObject({
  v: z.literal(CONTRACT_VERSION),
  receipt_id: z.uuid(),
  hlc: hlcStamp,
  store_id: id,
  box_id: id,
  pos_id: text(64).optional(),
  type: z.enum(RECEIPT_TYPES),
  total: kopecks,
  items: z.array(documentItem).min(1).max(100),
  payments: z.array(z.strictObject({ method: z.enum(TENDERS), amount: kopecks })).min(1).max(10),
  order_id: text(64).optional(),
  original_receipt_id: z.uuid().optional(),
  fiscal: fiscalData,
  /** The FFD 1.2 document exactly as read from the FN (STLV, form code 3). */
  tlv_b64: base64(MAX_RECEIPT_TLV_B64).min(4),
  created_at: isoTime,
}).superRefine((m, ctx) => {
  m.items.forEach((it, i) => {
    const expected = lineTotal(it.price, it.qty);
    if (it.sum !== expected) {
      ctx.addIssue({ code: 'custom', path: ['items', i, 'sum'], message: `sum ${it.sum} is not price x qty ${expected} (kopecks, qty in thousandths, rounded half up)` });
    }
  });
  const sum = m.items.reduce((s, it) => s + it.sum, 0);
  if (sum !== m.total) ctx.addIssue({ code: 'custom', path: ['total'], message: `total ${m.total} is not the sum of the items ${sum}` });
  // The box's own rules for a POS request, so the hub refuses what a box would never print.
  for (const message of paymentProblems(m.type, m.total, m.payments)) ctx.addIssue({ code: 'custom', path: ['payments'], message });
  if (m.type === 'sale' && m.original_receipt_id !== undefined) {
    ctx.addIssue({ code: 'custom', path: ['original_receipt_id'], message: 'only a refund references an original receipt' });
  }
}).superRefine((m, ctx) => {
  // The OFD receives the TLV, people and the ERP read the JSON: they must be the same receipt.
  const r = receiptTlvFacts(Buffer.from(m.tlv_b64, 'base64'));
  if (!r.ok) {
    ctx.addIssue({ code: 'custom', path: ['tlv_b64'], message: `not a cash receipt document: ${r.reason}` });
    return;
  }
  const f = r.facts;
  const differs = tlvMismatch(ctx);
  fiscalMismatches(m.fiscal, f, differs);
  if (m.total !== f.total) differs(['total'], m.total, 1020, f.total);
  if (SETTLEMENT_TYPE[m.type] !== f.settlementType) differs(['type'], m.type, 1054, `${f.settlementType}, ${SETTLEMENT_NAMES[f.settlementType] ?? 'unknown'}`);
}, { when: (payload) => payload.issues.length === 0 });
export type ReceiptMessage = z.infer<typeof receiptMessage>;

/**
 * box -> hub, topic .../receipt, QoS 1. A shift report the FN made (opening or closing): no
 * items, no money, but a fiscal document the OFD must receive and ticket like a receipt.
 */
export const reportMessage = z.strictObject({
  v: z.literal(CONTRACT_VERSION),
  receipt_id: z.uuid(),
  hlc: hlcStamp,
  store_id: id,
  box_id: id,
  type: z.enum(FN_REPORT_TYPES),
  fiscal: fiscalData.omit({ receipt_in_shift: true }),
  /** The FFD 1.2 document exactly as read from the FN (form 2 or 5). */
  tlv_b64: base64(MAX_RECEIPT_TLV_B64).min(4),
  created_at: isoTime,
}).superRefine((m, ctx) => {
  const r = reportTlvFacts(Buffer.from(m.tlv_b64, 'base64'));
  if (!r.ok) {
    ctx.addIssue({ code: 'custom', path: ['tlv_b64'], message: `not a shift report document: ${r.reason}` });
    return;
  }
  const f = r.facts;
  const differs = tlvMismatch(ctx);
  if (m.type !== f.kind) differs(['type'], m.type, 'form', f.kind);
  fiscalMismatches(m.fiscal, f, differs);
  if (m.fiscal.shift !== f.shift) differs(['fiscal', 'shift'], m.fiscal.shift, 1038, f.shift);
}, { when: (payload) => payload.issues.length === 0 });
export type ReportMessage = z.infer<typeof reportMessage>;

/** Whatever travels on .../receipt: a receipt or a shift report, told apart by `type`. */
export const documentMessage = z.discriminatedUnion('type', [receiptMessage, reportMessage]);
export type DocumentMessage = ReceiptMessage | ReportMessage;

export function isReceipt(m: DocumentMessage): m is ReceiptMessage {
  return m.type === 'sale' || m.type === 'refund';
}

export const OFD_STATUSES = ['pending', 'confirmed', 'dead'] as const;
export type OfdStatus = (typeof OFD_STATUSES)[number];

/** The OFD's confirmation of one document (operator confirmation, form 7), for the FN. */
export const ofdTicket = z.strictObject({
  fn_number: z.string().regex(/^\d{16}$/),
  fd_number: z.number().int().min(1),
  received_at: isoTime,
  /** ФПО, hex. */
  ofd_fiscal_sign: z.string().regex(/^[0-9a-f]{2,36}$/),
  /** The confirmation as TLV, as the FN takes it back. */
  tlv_b64: base64(MAX_TICKET_TLV_B64),
});
export type OfdTicket = z.infer<typeof ofdTicket>;

/** The hub's latest word on one receipt (one entry of an ack message). */
export const receiptAck = z.strictObject({
  receipt_id: z.uuid(),
  result: z.enum(['stored', 'duplicate']),
  ofd: z.strictObject({
    status: z.enum(OFD_STATUSES),
    attempts: z.number().int().min(0),
    ticket: ofdTicket.optional(),
    reason: z.string().max(500).optional(),
  }),
});
export type ReceiptAck = z.infer<typeof receiptAck>;

/** Most entries in one ack message (keeps a message well under 1 MB with tickets). */
export const MAX_ACKS_PER_MESSAGE = 200;

/**
 * hub -> box, topic .../ack, QoS 1. A batch of per-receipt entries: each is sent when the
 * document is stored (ofd.status pending), again when the OFD confirms it (with the ticket) or
 * the hub gives up (dead), and again for every republished duplicate (current state). Entries
 * of one event-loop turn share a message, so a drain of thousands of documents does not cost
 * thousands of broker round trips.
 */
export const ackMessage = z.strictObject({
  v: z.literal(CONTRACT_VERSION),
  hub_time: isoTime,
  acks: z.array(receiptAck).min(1).max(MAX_ACKS_PER_MESSAGE),
});
export type AckMessage = z.infer<typeof ackMessage>;

export const LINK_STATES = ['online', 'offline'] as const;

/** box -> hub, topic .../heartbeat, QoS 0 or 1, every 30 s. */
export const heartbeatMessage = z.object({
  v: z.literal(CONTRACT_VERSION),
  store_id: id,
  box_id: id,
  seq: z.number().int().min(0),
  sent_at: isoTime,
  uptime_s: z.number().min(0),
  version: z.string().max(64).optional(),
  buffer: z.object({
    pending: z.number().int().min(0),
    delivered_unsynced: z.number().int().min(0).default(0),
    dlq: z.number().int().min(0).default(0),
    capacity: z.number().int().min(1).optional(),
    percent: z.number().min(0).max(100),
    oldest_pending_age_s: z.number().min(0).nullable(),
  }),
  printer: z.object({
    state: z.string().max(64),
    fn_docs_without_ticket: z.number().int().min(0).nullable(),
    fn_oldest_without_ticket_age_s: z.number().min(0).nullable().default(null),
  }),
  link: z.object({ state: z.enum(LINK_STATES), ofd_breaker: z.string().max(16).nullable().default(null) }),
  /**
   * The box's /health in short: what an operator must look at (buffer >= 80 %, a corrupt
   * database set aside, clock drift, disk low, printer). Absent from boxes older than it.
   */
  health: z.object({
    status: z.enum(['healthy', 'degraded', 'unhealthy']),
    failing: z.array(z.string().max(64)).max(32).default([]),
    degraded: z.array(z.string().max(64)).max(32).default([]),
  }).optional(),
  system: z.object({
    cpu_temp_c: z.number().nullable(),
    load1: z.number().min(0).nullable(),
    mem_used_pct: z.number().min(0).max(100).nullable(),
    disk_free_bytes: z.number().min(0).nullable(),
  }).partial().default({}),
});
export type HeartbeatMessage = z.infer<typeof heartbeatMessage>;
export type HeartbeatInput = z.input<typeof heartbeatMessage>;

/** box -> hub, topic .../status, retained, QoS 1. Also the box's last will (state offline). */
export const boxStatusMessage = z.object({
  v: z.literal(CONTRACT_VERSION),
  state: z.enum(LINK_STATES),
  at: isoTime,
  reason: z.string().max(200).optional(),
});
export type BoxStatusMessage = z.infer<typeof boxStatusMessage>;

export const BREAKER_STATES = ['closed', 'open', 'half_open', 'isolated'] as const;
export type BreakerStateName = (typeof BREAKER_STATES)[number];

/** hub -> everyone, topic kkt/v1/_hub/status, retained, QoS 1. Also the hub's last will. */
export const hubStatusMessage = z.object({
  v: z.literal(CONTRACT_VERSION),
  state: z.enum(LINK_STATES),
  at: isoTime,
  ofd: z.object({
    breaker: z.enum(BREAKER_STATES),
    queue: z.number().int().min(0),
    dlq: z.number().int().min(0),
  }).optional(),
});
export type HubStatusMessage = z.infer<typeof hubStatusMessage>;

/** box -> hub, topic .../power, retained, QoS 1 (UPS HAT state). */
export const powerMessage = z.object({
  v: z.literal(CONTRACT_VERSION),
  source: z.enum(['mains', 'battery']),
  battery_pct: z.number().min(0).max(100).nullable(),
  state: z.enum(['ok', 'low', 'shutting_down']),
  at: isoTime,
});
export type PowerMessage = z.infer<typeof powerMessage>;

/** hub -> box, topic .../cmd/sync, QoS 1: drain the buffer now. */
export const syncCommand = z.strictObject({
  v: z.literal(CONTRACT_VERSION),
  request_id: z.uuid(),
  issued_at: isoTime,
});
export type SyncCommand = z.infer<typeof syncCommand>;

export type ParseResult<T> = { ok: true; value: T } | { ok: false; reason: string };

// Buffer#toString('utf8') turns bad bytes into U+FFFD, which the hub then stored as if the box
// had sent it. A BOM stays in the text, so JSON.parse refuses it as before.
const utf8 = new TextDecoder('utf-8', { fatal: true, ignoreBOM: true });

/** Bytes off the wire -> a validated message, or a reason a person can read. */
export function parsePayload<S extends z.ZodType>(schema: S, payload: Buffer | string): ParseResult<z.output<S>> {
  let body: string;
  if (typeof payload === 'string') {
    body = payload;
  } else {
    try {
      body = utf8.decode(payload);
    } catch {
      return { ok: false, reason: `not UTF-8: the payload (${payload.length} bytes) holds byte sequences that are not valid UTF-8` };
    }
  }
  let json: unknown;
  try {
    json = JSON.parse(body);
  } catch (err) {
    return { ok: false, reason: `not JSON: ${(err as Error).message}` };
  }
  const r = schema.safeParse(json);
  if (r.success) return { ok: true, value: r.data };
  const reason = r.error.issues.slice(0, 10)
    .map((i) => `${i.path.join('.') || '(root)'}: ${i.code === 'unrecognized_keys' ? `unknown field(s) ${i.keys.join(', ')}` : i.message}`)
    .join('; ');
  return { ok: false, reason };
}

/** A message -> bytes, validated first so a sender cannot emit what a receiver would refuse. */
export function encodePayload<S extends z.ZodType>(schema: S, value: z.input<S>): Buffer {
  return Buffer.from(JSON.stringify(schema.parse(value)));
}
