// The facts of a cash receipt (form 3) that its JSON projection must agree with: the hub
// forwards the TLV to the OFD and shows the JSON to people and the ERP, so a projection that
// says something else than the document would book one receipt and report another.
import { onlyTag, parseTlvs, readVln, type Tlv } from './tlv.js';

/** Form code of a cash receipt (ffd-tlv.md §1). */
export const RECEIPT_FORM = 3;

export interface ReceiptTlvFacts {
  /** Tag 1040. */
  fdNumber: number;
  /** Tag 1041, trailing padding removed. */
  fnNumber: string;
  /** Tag 1077 as the QR code prints it: bytes 2-5, big-endian, decimal. */
  fiscalSign: string;
  /** Tag 1020, kopecks. */
  total: number;
  /** Tag 1054: 1 income (sale), 2 income return (refund), 3 expense, 4 expense return. */
  settlementType: number;
}

export type ReceiptTlvResult = { ok: true; facts: ReceiptTlvFacts } | { ok: false; reason: string };

/** Largest VLN money value in a receipt (ffd-tlv.md §1: 6 bytes). */
const MONEY_MAX_BYTES = 6;

export function receiptTlvFacts(doc: Uint8Array): ReceiptTlvResult {
  let body: Tlv[];
  try {
    const top = parseTlvs(doc);
    const form = top[0];
    if (top.length !== 1 || !form) return { ok: false, reason: `expected one document, found ${top.length} top-level TLVs` };
    if (form.tag !== RECEIPT_FORM) return { ok: false, reason: `form ${form.tag} is not a cash receipt (form ${RECEIPT_FORM})` };
    body = parseTlvs(form.value);
  } catch (err) {
    return { ok: false, reason: `does not decode: ${(err as Error).message}` };
  }
  try {
    const one = (tag: number, what: string, size: number | [(n: number) => boolean, string]) => onlyTag(body, tag, what, size);
    return {
      ok: true,
      facts: {
        fdNumber: one(1040, 'FD number', 4).readUInt32LE(0),
        // CP866 and ASCII agree on digits and spaces, which is all an FN number holds.
        fnNumber: one(1041, 'FN number', [(n) => n <= 16, 'at most 16']).toString('latin1').trimEnd(),
        fiscalSign: String(one(1077, 'fiscal sign', 6).readUInt32BE(2)),
        total: readVln(one(1020, 'total', [(n) => n <= MONEY_MAX_BYTES, `at most ${MONEY_MAX_BYTES}`])),
        settlementType: one(1054, 'settlement type', 1)[0]!,
      },
    };
  } catch (err) {
    return { ok: false, reason: (err as Error).message };
  }
}
