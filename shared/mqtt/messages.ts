// Payload schemas of the uplink contract (docs/mqtt-topics.md). Box and hub parse every
// message they receive with these and build every message they send through them, so a
// drift between the two sides fails a test instead of a store.
//
// Documents (receipt, ack) are strict: an unknown field is a contract violation and lands in
// the hub's DLQ. Telemetry (heartbeat, status, power) strips unknown fields so a newer box can
// add facts without breaking an older hub.
import { z } from 'zod';
import { MAX_KOPECKS, MAX_MILLI } from '../money.js';
import { PAYMENT_METHODS, PAYMENT_OBJECTS, RECEIPT_TYPES, TENDERS, VAT_CODES, type PaymentMethod, type PaymentObject } from '../receipt.js';
import { ID_PATTERN } from './topics.js';

export const CONTRACT_VERSION = 1;

const id = z.string().regex(ID_PATTERN, 'must be 1-64 of A-Z a-z 0-9 _ - (not starting with _ or -)');
const kopecks = z.number().int().min(0).max(MAX_KOPECKS);
const milli = z.number().int().min(1).max(MAX_MILLI);
const isoTime = z.iso.datetime({ offset: true });
const base64 = z.string().max(64 * 1024).regex(/^(?:[A-Za-z0-9+/]{4})*(?:[A-Za-z0-9+/]{2}==|[A-Za-z0-9+/]{3}=)?$/, 'must be base64');
/**
 * HLC stamp as text whose lexicographic order is the clock's order (zero-padded wall time,
 * counter, node). The hub orders one box's documents by comparing these strings.
 */
export const hlcStamp = z.string().min(1).max(80).regex(/^[0-9A-Za-z:._-]+$/, 'must be a sortable HLC text');

export const fiscalData = z.strictObject({
  fd_number: z.number().int().min(1).max(0xffffffff),
  /** ФПД as the decimal number printed in the QR code (bytes 2-5 of tag 1077). */
  fiscal_sign: z.string().regex(/^\d{1,10}$/, 'must be the decimal fiscal sign'),
  fn_number: z.string().regex(/^\d{16}$/, 'must be the 16-digit FN number'),
  shift: z.number().int().min(1).max(0xffffffff),
  receipt_in_shift: z.number().int().min(1).max(0xffffffff),
  datetime: isoTime,
});
export type FiscalData = z.infer<typeof fiscalData>;

export const documentItem = z.strictObject({
  name: z.string().min(1).max(128),
  qty: milli,
  price: kopecks,
  sum: kopecks,
  vat: z.enum(VAT_CODES),
  payment_method: z.enum(Object.keys(PAYMENT_METHODS) as [PaymentMethod, ...PaymentMethod[]]),
  payment_object: z.enum(Object.keys(PAYMENT_OBJECTS) as [PaymentObject, ...PaymentObject[]]),
  product_id: z.string().min(1).max(64).optional(),
});

/** box -> hub, topic .../receipt, QoS 1. One fiscalised document. */
export const receiptMessage = z.strictObject({
  v: z.literal(CONTRACT_VERSION),
  receipt_id: z.uuid(),
  hlc: hlcStamp,
  store_id: id,
  box_id: id,
  pos_id: z.string().min(1).max(64).optional(),
  type: z.enum(RECEIPT_TYPES),
  total: kopecks,
  items: z.array(documentItem).min(1).max(100),
  payments: z.array(z.strictObject({ method: z.enum(TENDERS), amount: kopecks })).min(1).max(10),
  order_id: z.string().min(1).max(64).optional(),
  original_receipt_id: z.uuid().optional(),
  fiscal: fiscalData,
  /** The FFD 1.2 document exactly as read from the FN (STLV, form code 3). */
  tlv_b64: base64.min(4),
  created_at: isoTime,
}).superRefine((m, ctx) => {
  const sum = m.items.reduce((s, it) => s + it.sum, 0);
  if (sum !== m.total) ctx.addIssue({ code: 'custom', path: ['total'], message: `total ${m.total} is not the sum of the items ${sum}` });
  if (m.type === 'sale' && m.original_receipt_id !== undefined) {
    ctx.addIssue({ code: 'custom', path: ['original_receipt_id'], message: 'only a refund references an original receipt' });
  }
});
export type ReceiptMessage = z.infer<typeof receiptMessage>;

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
  tlv_b64: base64,
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

/** Bytes off the wire -> a validated message, or a reason a person can read. */
export function parsePayload<S extends z.ZodType>(schema: S, payload: Buffer | string): ParseResult<z.output<S>> {
  let json: unknown;
  try {
    json = JSON.parse(typeof payload === 'string' ? payload : payload.toString('utf8'));
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
