// Builds valid fiscal-document messages (TLV + JSON projection) for hub tests and benches.
import { randomUUID } from 'node:crypto';
import { expectedFiscalSign } from '../../hardware/sim/ofd/receipt-check.js';
import { encodeTlv, enc } from '../../hardware/sim/ofd/tlv.js';
import type { ReceiptMessage } from '../../shared/mqtt/messages.js';

export const TEST_FN = '9999078900012345';
/** The key the test OFD and these documents share for the fiscal sign (the FN's role). */
export const TEST_FN_KEY = 'test-fn-key';

export function fiscalSign(fn: string, fd: number, total: number, key = TEST_FN_KEY): string {
  return expectedFiscalSign(key, fn, fd, total);
}

let fdCounter = 1;

export function makeDocument(opts: { store?: string; box?: string; hlc?: string; fd?: number; total?: number; type?: 'sale' | 'refund'; original?: string } = {}): ReceiptMessage {
  const store = opts.store ?? 'store-1';
  const box = opts.box ?? 'box-1';
  const fd = opts.fd ?? fdCounter++;
  const total = opts.total ?? 150000;
  const at = new Date('2026-11-25T10:00:00Z');
  const sign = fiscalSign(TEST_FN, fd, total);
  const fp = Buffer.alloc(6);
  fp.writeUInt32BE(Number(sign), 2);
  const item = Buffer.concat([
    encodeTlv(1030, enc.str('Frame Ray-Ban')), encodeTlv(1079, enc.vln(total)), encodeTlv(1023, enc.fvln(1000, 3)),
    encodeTlv(1199, enc.byte(1)), encodeTlv(1043, enc.vln(total)), encodeTlv(1214, enc.byte(4)), encodeTlv(1212, enc.byte(1)),
  ]);
  const body = Buffer.concat([
    encodeTlv(1209, enc.byte(4)), encodeTlv(1042, enc.u32(1)), encodeTlv(1012, enc.time(at)), encodeTlv(1038, enc.u32(1)),
    encodeTlv(1054, enc.byte(opts.type === 'refund' ? 2 : 1)), encodeTlv(1037, enc.str('0000000001012345    ')),
    encodeTlv(1009, enc.str('Moscow, Tverskaya 1')), encodeTlv(1187, enc.str('Store 1')), encodeTlv(1059, item),
    encodeTlv(1020, enc.vln(total)), encodeTlv(1081, enc.vln(total)), encodeTlv(1102, enc.vln(Math.round(total / 6))),
    encodeTlv(1040, enc.u32(fd)), encodeTlv(1041, enc.str(TEST_FN)), encodeTlv(1077, fp),
  ]);
  const tlv = encodeTlv(3, body);
  const doc: ReceiptMessage = {
    v: 1,
    receipt_id: randomUUID(),
    hlc: opts.hlc ?? `${String(at.getTime() + fd).padStart(15, '0')}:00000:${box}`,
    store_id: store,
    box_id: box,
    type: opts.type ?? 'sale',
    total,
    items: [{ name: 'Frame Ray-Ban', qty: 1000, price: total, sum: total, vat: 'vat20', payment_method: 'full_payment', payment_object: 'commodity' }],
    payments: [{ method: 'card', amount: total }],
    fiscal: { fd_number: fd, fiscal_sign: sign, fn_number: TEST_FN, shift: 1, receipt_in_shift: 1, datetime: at.toISOString() },
    tlv_b64: tlv.toString('base64'),
    created_at: at.toISOString(),
  };
  if (opts.original) doc.original_receipt_id = opts.original;
  return doc;
}
