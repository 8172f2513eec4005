// What the test OFD checks in a cash receipt (form 3, FFD 1.2): the mandatory tags, the
// item and payment sums, and the fiscal sign. Returns the facts the ticket needs.
import { createHmac } from 'node:crypto';
import { dec, decodeTlv, isNested, type Tlv } from './tlv.js';

/** Mandatory (M, M(E)) tags of a receipt per FFD 1.2 table 96 that are TLV in the FN's copy. */
export const RECEIPT_MANDATORY = [1209, 1042, 1012, 1038, 1054, 1037, 1009, 1187, 1059, 1020, 1040, 1041, 1077] as const;
export const ITEM_MANDATORY = [1079, 1023, 1043] as const;
const PAYMENT_TAGS = [1031, 1081, 1215, 1216, 1217] as const;

export interface CheckedReceipt { fn: string; fd: number; total: number; fiscalSign: string; settlementType: number }
export type CheckResult = { ok: true; receipt: CheckedReceipt } | { ok: false; reason: string };

/** Mandatory tags of a shift opening or closing report (forms 2 and 5) that the OFD needs to ticket it. */
export const REPORT_MANDATORY = [1209, 1012, 1038, 1037, 1009, 1040, 1041, 1077] as const;

/**
 * A shift report carries no money; its fiscal sign is the FN's over the document and is not
 * re-computed here (the test documents' keyed sign covers receipts only).
 */
function checkShiftReport(doc: Tlv): CheckResult {
  const body = documentTags(doc, 'report', REPORT_MANDATORY);
  if (!body.ok) return body;
  const { tags } = body;
  const one = (t: number) => tags.get(t)?.[0] ?? Buffer.alloc(0);
  const fp = one(1077);
  if (fp.length !== 6) return { ok: false, reason: 'tag 1077 (fiscal sign) must be 6 bytes' };
  return { ok: true, receipt: { fn: one(1041).toString('latin1').trim(), fd: one(1040).readUInt32LE(0), total: 0, fiscalSign: String(fp.readUInt32BE(2)), settlementType: 0 } };
}

/** The FN's keyed fiscal sign as the emulator and test documents compute it (4 bytes, decimal). */
export function expectedFiscalSign(key: string, fn: string, fd: number, total: number): string {
  return String(createHmac('sha256', key).update(`${fn}|${fd}|${total}`).digest().readUInt32BE(0));
}

function group(tlvs: Tlv[]): Map<number, Buffer[]> {
  const m = new Map<number, Buffer[]>();
  for (const t of tlvs) m.set(t.tag, [...(m.get(t.tag) ?? []), t.value]);
  return m;
}

/** A document's tags by number, or why it cannot be checked (does not decode, tags missing). */
function documentTags(doc: Tlv, what: string, mandatory: readonly number[]): { ok: true; tags: Map<number, Buffer[]> } | { ok: false; reason: string } {
  let tags: Map<number, Buffer[]>;
  try {
    tags = group(decodeTlv(doc.value));
  } catch (err) {
    return { ok: false, reason: `${what} body does not decode: ${(err as Error).message}` };
  }
  const missing = mandatory.filter((t) => !tags.has(t));
  return missing.length ? { ok: false, reason: `mandatory tags missing: ${missing.join(', ')}` } : { ok: true, tags };
}

export function checkReceipt(tlv: Buffer, fnKey: string | null): CheckResult {
  let top: Tlv[];
  try {
    top = decodeTlv(tlv);
  } catch (err) {
    return { ok: false, reason: `TLV does not decode: ${(err as Error).message}` };
  }
  const doc = top[0];
  if (top.length === 1 && doc && (doc.tag === 2 || doc.tag === 5)) return checkShiftReport(doc);
  if (top.length !== 1 || !doc || (doc.tag !== 3 && doc.tag !== 31)) return { ok: false, reason: 'expected one receipt document (form 3 or 31) or shift report (form 2 or 5)' };
  const body = documentTags(doc, 'receipt', RECEIPT_MANDATORY);
  if (!body.ok) return body;
  const { tags } = body;
  const one = (t: number) => tags.get(t)?.[0] ?? Buffer.alloc(0);
  let itemSum = 0;
  for (const [i, item] of (tags.get(1059) ?? []).entries()) {
    if (!isNested(1059)) break;
    let it: Map<number, Buffer[]>;
    try {
      it = group(decodeTlv(item));
    } catch (err) {
      return { ok: false, reason: `item ${i + 1} does not decode: ${(err as Error).message}` };
    }
    const im = ITEM_MANDATORY.filter((t) => !it.has(t));
    if (im.length) return { ok: false, reason: `item ${i + 1}: mandatory tags missing: ${im.join(', ')}` };
    itemSum += dec.uint(it.get(1043)?.[0] ?? Buffer.alloc(0));
  }
  const total = dec.uint(one(1020));
  if (itemSum !== total) return { ok: false, reason: `tag 1020 total ${total} is not the sum of item totals ${itemSum}` };
  const paid = PAYMENT_TAGS.reduce((s, t) => s + (tags.has(t) ? dec.uint(one(t)) : 0), 0);
  if (paid !== total) return { ok: false, reason: `payments ${paid} do not equal the total ${total}` };
  const fn = one(1041).toString('latin1').trim();
  const fd = one(1040).readUInt32LE(0);
  const fp = one(1077);
  if (fp.length !== 6) return { ok: false, reason: 'tag 1077 (fiscal sign) must be 6 bytes' };
  const fiscalSign = String(fp.readUInt32BE(2));
  if (fnKey !== null && expectedFiscalSign(fnKey, fn, fd, total) !== fiscalSign) {
    return { ok: false, reason: `fiscal sign ${fiscalSign} does not verify for FN ${fn} FD ${fd}` };
  }
  return { ok: true, receipt: { fn, fd, total, fiscalSign, settlementType: one(1054)[0] ?? 0 } };
}
