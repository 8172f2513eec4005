// The facts of a shift report (form 2, opening; form 5, closing) that its JSON projection must
// agree with. These are fiscal documents like receipts: the FN counts them until the OFD's
// ticket comes back, and blocks after 30 days with one unsent, so they travel the same way.
import { onlyTag, parseTlvs, type Tlv } from './tlv.js';

/** Form codes (ffd-tlv.md §1). */
export const REPORT_FORMS = { shift_open: 2, shift_close: 5 } as const;
export type ReportKind = keyof typeof REPORT_FORMS;

export interface ReportTlvFacts {
  kind: ReportKind;
  /** Tag 1040. */
  fdNumber: number;
  /** Tag 1041, trailing padding removed. */
  fnNumber: string;
  /** Tag 1077 as the QR code prints it: bytes 2-5, big-endian, decimal. */
  fiscalSign: string;
  /** Tag 1038. */
  shift: number;
}

export type ReportTlvResult = { ok: true; facts: ReportTlvFacts } | { ok: false; reason: string };

export function reportTlvFacts(doc: Uint8Array): ReportTlvResult {
  let body: Tlv[];
  let kind: ReportKind;
  try {
    const top = parseTlvs(doc);
    const form = top[0];
    if (top.length !== 1 || !form) return { ok: false, reason: `expected one document, found ${top.length} top-level TLVs` };
    const k = (Object.keys(REPORT_FORMS) as ReportKind[]).find((x) => REPORT_FORMS[x] === form.tag);
    if (!k) return { ok: false, reason: `form ${form.tag} is not a shift report (form 2 or 5)` };
    kind = k;
    body = parseTlvs(form.value);
  } catch (err) {
    return { ok: false, reason: `does not decode: ${(err as Error).message}` };
  }
  try {
    const one = (tag: number, what: string, size?: number | [(n: number) => boolean, string]) => onlyTag(body, tag, what, size);
    const fn = one(1041, 'FN number', [(n) => n <= 16, 'at most 16']);
    return {
      ok: true,
      facts: {
        kind,
        fdNumber: one(1040, 'FD number', 4).readUInt32LE(0),
        fnNumber: fn.toString('latin1').trimEnd(),
        fiscalSign: String(one(1077, 'fiscal sign', 6).readUInt32BE(2)),
        shift: one(1038, 'shift number', 4).readUInt32LE(0),
      },
    };
  } catch (err) {
    return { ok: false, reason: (err as Error).message };
  }
}
