// The uplink contract shared by box and hub: topic tree, payload schemas, ACL rules.
import { describe, expect, it } from 'vitest';
import { mayPublish, maySubscribe, mayUseClientId } from '../../hub/broker/acl.js';
import type { Principal } from '../../hub/broker/box-registry.js';
import { randomUUID } from 'node:crypto';
import { decodeTlv, enc, encodeTlv } from '../../hardware/sim/ofd/tlv.js';
import { ackMessage, documentMessage, encodePayload, heartbeatMessage, parsePayload, receiptMessage } from '../../shared/mqtt/messages.js';
import { str, tlv, u32 } from '../../firmware/printer/codec/tlv.js';
import { boxTopics, HUB_STATUS_TOPIC, parseBoxTopic } from '../../shared/mqtt/topics.js';
import { makeDocument } from '../support/documents.js';

describe('topic tree', () => {
  it('builds and parses a box\'s topics', () => {
    const t = boxTopics({ store: 'msk-01', box: 'kkt-7' });
    expect(t.receipt).toBe('kkt/v1/msk-01/kkt-7/receipt');
    expect(t.cmd('sync')).toBe('kkt/v1/msk-01/kkt-7/cmd/sync');
    expect(parseBoxTopic(t.cmd('sync'))).toEqual({ store: 'msk-01', box: 'kkt-7', kind: 'cmd', rest: ['sync'] });
    expect(parseBoxTopic('kkt/v2/a/b/receipt')).toBeNull();
    expect(parseBoxTopic(HUB_STATUS_TOPIC)).toBeNull();
  });

  it('refuses ids that would break the tree or collide with the hub', () => {
    for (const bad of ['a/b', '+', '#', '_hub', '', 'x'.repeat(65), '$SYS']) {
      expect(() => boxTopics({ store: bad, box: 'b' }), bad).toThrow(/invalid/);
    }
  });
});

describe('payload schemas', () => {
  it('a valid document round-trips through encode/parse', () => {
    const doc = makeDocument();
    const r = parsePayload(receiptMessage, encodePayload(receiptMessage, doc));
    expect(r).toEqual({ ok: true, value: doc });
  });

  it('names what is wrong in a bad document', () => {
    const doc = makeDocument();
    const cases: [unknown, RegExp][] = [
      [{ ...doc, total: doc.total + 1 }, /total \d+ is not the sum of the items/],
      [{ ...doc, receipt_id: 'x' }, /receipt_id/],
      [{ ...doc, fiscal: { ...doc.fiscal, fn_number: '123' } }, /fiscal.fn_number: must be the 16-digit FN number/],
      [{ ...doc, tlv_b64: 'not base64!' }, /tlv_b64: must be base64/],
      [{ ...doc, surprise: 1 }, /unknown field\(s\) surprise/],
      [{ ...doc, original_receipt_id: doc.receipt_id }, /only a refund references/],
      [{ ...doc, v: 2 }, /v:/],
    ];
    for (const [msg, re] of cases) {
      const r = parsePayload(receiptMessage, JSON.stringify(msg));
      expect(r.ok, String(re)).toBe(false);
      if (!r.ok) expect(r.reason).toMatch(re);
    }
    expect(parsePayload(receiptMessage, Buffer.from([0xc3, 0x28]))).toMatchObject({ ok: false, reason: expect.stringMatching(/not UTF-8/) });
  });

  it('a sender cannot emit what a receiver would refuse', () => {
    expect(() => encodePayload(ackMessage, { v: 1, hub_time: 'now', acks: [{ receipt_id: 'nope', result: 'stored', ofd: { status: 'pending', attempts: 0 } }] })).toThrow();
    expect(() => encodePayload(ackMessage, { v: 1, hub_time: new Date().toISOString(), acks: [] })).toThrow();
  });

  it('telemetry tolerates unknown fields from a newer box and fills defaults', () => {
    const r = parsePayload(heartbeatMessage, JSON.stringify({
      v: 1, store_id: 's', box_id: 'b', seq: 1, sent_at: '2026-11-25T10:00:00Z', uptime_s: 5, new_fact: 42,
      buffer: { pending: 0, percent: 0, oldest_pending_age_s: null }, printer: { state: 'ready', fn_docs_without_ticket: 0 }, link: { state: 'online' },
    }));
    expect(r.ok && r.value).toMatchObject({ buffer: { dlq: 0, delivered_unsynced: 0 }, system: {} });
    expect(r.ok && 'new_fact' in r.value).toBe(false);
  });
});

/** The reason a document is refused, or null when it passes. */
function refusal(msg: unknown): string | null {
  const r = parsePayload(receiptMessage, JSON.stringify(msg));
  return r.ok ? null : r.reason;
}

/** A receipt TLV (form 3) with its body rewritten. */
function rewriteTlv(tlvB64: string, edit: (body: { tag: number; value: Buffer }[]) => { tag: number; value: Buffer }[]): string {
  const [doc] = decodeTlv(Buffer.from(tlvB64, 'base64'));
  const body = edit(decodeTlv(doc!.value));
  return encodeTlv(doc!.tag, Buffer.concat(body.map((t) => encodeTlv(t.tag, t.value)))).toString('base64');
}

describe('receipt consistency (hub review 2026-11)', () => {
  it('an item sum must be price x qty (kopecks, qty in thousandths, half up)', () => {
    const doc = makeDocument();
    expect(refusal({ ...doc, items: [{ ...doc.items[0]!, price: 1, qty: 1 }] })).toMatch(/items\.0\.sum: sum 150000 is not price x qty 0/);
    const small = makeDocument({ total: 500 });
    // 3.33 x 1.5 = 4.995, rounded half up to 5.00
    expect(refusal({ ...small, items: [{ ...small.items[0]!, price: 333, qty: 1500, sum: 500 }] })).toBeNull();
  });

  it('payments follow the box\'s rules: cover the total, only cash may exceed it, a refund gives no change', () => {
    const doc = makeDocument();
    expect(refusal({ ...doc, payments: [{ method: 'card', amount: 1 }] })).toMatch(/payments: payments 0\.01 RUB do not cover the total 1500\.00 RUB/);
    expect(refusal({ ...doc, payments: [{ method: 'card', amount: 150001 }] })).toMatch(/payments: card payments 1500\.01 RUB exceed the total/);
    expect(refusal({ ...doc, payments: [{ method: 'cash', amount: 200000 }] })).toBeNull();
    expect(refusal({ ...doc, payments: [{ method: 'card', amount: 100000 }, { method: 'cash', amount: 60000 }] })).toBeNull();
    const refund = makeDocument({ type: 'refund', original: randomUUID() });
    expect(refusal(refund)).toBeNull();
    expect(refusal({ ...refund, payments: [{ method: 'cash', amount: 200000 }] })).toMatch(/payments: a refund pays back exactly the total/);
  });

  it('names each field whose value differs from the TLV document the OFD receives', () => {
    const tlvOf = (o: Parameters<typeof makeDocument>[0]) => makeDocument(o).tlv_b64;
    const doc = makeDocument({ fd: 7001 });
    const cases: [unknown, RegExp][] = [
      [{ ...doc, tlv_b64: tlvOf({ fd: 7002 }) }, /fiscal\.fd_number: 7001 does not match the TLV document's tag 1040 \(7002\)/],
      [{ ...doc, fiscal: { ...doc.fiscal, fiscal_sign: '1' } }, /fiscal\.fiscal_sign: 1 does not match the TLV document's tag 1077/],
      [{ ...doc, fiscal: { ...doc.fiscal, fn_number: '9999078900099999' } }, /fiscal\.fn_number: 9999078900099999 does not match the TLV document's tag 1041 \(9999078900012345\)/],
      [{ ...doc, tlv_b64: tlvOf({ fd: 7001, total: 140000 }) }, /total: 150000 does not match the TLV document's tag 1020 \(140000\)/],
      [{ ...doc, tlv_b64: tlvOf({ fd: 7001, type: 'refund' }) }, /type: sale does not match the TLV document's tag 1054 \(2, refund\)/],
    ];
    for (const [msg, re] of cases) expect(refusal(msg), String(re)).toMatch(re);
    // Each mismatch alone: the TLV with another total also has another fiscal sign, nothing else.
    expect(refusal({ ...doc, tlv_b64: tlvOf({ fd: 7001, type: 'refund' }) })).not.toMatch(/fd_number|fn_number|fiscal_sign|total/);
  });

  it('refuses a TLV that is not a cash receipt or lacks a tag the check reads', () => {
    const doc = makeDocument();
    const cases: [string, RegExp][] = [
      [Buffer.from('garbage!').toString('base64'), /tlv_b64: not a cash receipt document: does not decode/],
      [encodeTlv(7, encodeTlv(1040, enc.u32(doc.fiscal.fd_number))).toString('base64'), /tlv_b64: .*form 7 is not a cash receipt/],
      [rewriteTlv(doc.tlv_b64, (b) => b.filter((t) => t.tag !== 1077)), /tlv_b64: .*tag 1077 \(fiscal sign\) is missing/],
      [rewriteTlv(doc.tlv_b64, (b) => [...b, ...b.filter((t) => t.tag === 1040)]), /tlv_b64: .*tag 1040 \(FD number\) occurs 2 times/],
      [rewriteTlv(doc.tlv_b64, (b) => b.map((t) => (t.tag === 1077 ? { tag: 1077, value: t.value.subarray(2) } : t))), /tag 1077 \(fiscal sign\) has 4 bytes, not 6/],
    ];
    for (const [tlv, re] of cases) expect(refusal({ ...doc, tlv_b64: tlv }), String(re)).toMatch(re);
  });

  it('decodes UTF-8 strictly: bad bytes are refused, not stored as U+FFFD', () => {
    const doc = makeDocument();
    const json = JSON.stringify({ ...doc, items: [{ ...doc.items[0]!, name: 'X' }] });
    const [before, after] = json.split('"name":"X"') as [string, string];
    const bad = Buffer.concat([Buffer.from(`${before}"name":"`), Buffer.from([0xff, 0xfe]), Buffer.from(`"${after}`)]);
    expect(parsePayload(receiptMessage, bad)).toMatchObject({ ok: false, reason: expect.stringMatching(/^not UTF-8/) });
    // An overlong encoding of '"' and a lone surrogate half, both invalid UTF-8.
    for (const bytes of [[0x7b, 0xc0, 0xa2, 0x7d], [0x22, 0xed, 0xa0, 0x80, 0x22]]) {
      expect(parsePayload(receiptMessage, Buffer.from(bytes))).toMatchObject({ ok: false, reason: expect.stringMatching(/^not UTF-8/) });
    }
    const cyrillic = { ...doc, items: [{ ...doc.items[0]!, name: 'Оправа Ray-Ban' }] };
    expect(parsePayload(receiptMessage, Buffer.from(JSON.stringify(cyrillic)))).toEqual({ ok: true, value: cyrillic });
  });

  it('takes control characters in the text of a document the FN already holds (older firmware printed them)', () => {
    const doc = makeDocument();
    const item = doc.items[0]!;
    // The box refuses them from a POS now (receipt-api-hostile test); a document fiscalised
    // before that must still reach the OFD, so the contract does not refuse it.
    for (const msg of [
      { ...doc, items: [{ ...item, name: 'Frame\tRay-Ban' }] }, { ...doc, items: [{ ...item, product_id: 'sku\u007f' }] },
      { ...doc, pos_id: 'pos\u0000' }, { ...doc, order_id: 'LAB\u001b[2J' },
    ]) expect(refusal(msg)).toBeNull();
  });

  it('checks the length of base64 fields before their pattern, and a 100-item receipt fits', () => {
    const doc = makeDocument();
    let r: ReturnType<typeof parsePayload>;
    expect(() => { r = parsePayload(receiptMessage, JSON.stringify({ ...doc, tlv_b64: 'A'.repeat(10 * 1024 * 1024) })); }).not.toThrow();
    expect(r!).toMatchObject({ ok: false, reason: expect.stringMatching(/^tlv_b64: Too big: expected string to have <=65536 characters$/) });
    const ticket = { fn_number: doc.fiscal.fn_number, fd_number: 1, received_at: doc.created_at, ofd_fiscal_sign: 'ab12', tlv_b64: 'A'.repeat(10 * 1024 * 1024) };
    const ack = { v: 1, hub_time: doc.created_at, acks: [{ receipt_id: doc.receipt_id, result: 'stored', ofd: { status: 'confirmed', attempts: 1, ticket } }] };
    expect(parsePayload(ackMessage, JSON.stringify(ack))).toMatchObject({ ok: false, reason: expect.stringMatching(/ticket\.tlv_b64: Too big/) });
    // The largest receipt a box prints: 100 items with 128-character names and every money
    // field at its 6-byte maximum (as the FN writes them, padded), in base64.
    const money = Buffer.alloc(6, 0xff);
    const item = encodeTlv(1059, Buffer.concat([
      encodeTlv(1030, Buffer.alloc(128, 0x41)), encodeTlv(1079, money), encodeTlv(1023, Buffer.alloc(9, 0xff)), encodeTlv(1043, money),
      encodeTlv(1199, enc.byte(1)), encodeTlv(1214, enc.byte(4)), encodeTlv(1212, enc.byte(1)), encodeTlv(2108, enc.byte(0)),
      encodeTlv(1200, money), encodeTlv(1191, Buffer.alloc(64, 0x41)),
    ]));
    const [top] = decodeTlv(Buffer.from(doc.tlv_b64, 'base64'));
    const largest = encodeTlv(3, Buffer.concat([top!.value, ...Array.from({ length: 100 }, () => item)])).toString('base64');
    expect(largest.length).toBeLessThan(65536);
  });
});

describe('ACL', () => {
  const box: Principal = { role: 'box', username: 'b1', store: 's1', box: 'b1' };
  const hub: Principal = { role: 'service', username: '_hub' };
  it('a box publishes its documents and telemetry only', () => {
    for (const k of ['receipt', 'heartbeat', 'status', 'power']) expect(mayPublish(box, `kkt/v1/s1/b1/${k}`).ok).toBe(true);
    for (const t of ['kkt/v1/s1/b1/ack', 'kkt/v1/s1/b1/cmd/sync', 'kkt/v1/s1/b2/receipt', 'kkt/v1/s2/b1/receipt', HUB_STATUS_TOPIC, '$SYS/x', 'other']) {
      expect(mayPublish(box, t).ok, t).toBe(false);
    }
  });
  it('a box subscribes to its acks, commands and the hub status only', () => {
    for (const f of ['kkt/v1/s1/b1/ack', 'kkt/v1/s1/b1/cmd/#', 'kkt/v1/s1/b1/cmd/sync', HUB_STATUS_TOPIC]) expect(maySubscribe(box, f).ok, f).toBe(true);
    for (const f of ['#', 'kkt/v1/#', 'kkt/v1/s1/+/ack', 'kkt/v1/s1/b1/#', 'kkt/v1/s1/b2/ack', '$SYS/#', 'kkt/v1/s1/b1/receipt']) {
      expect(maySubscribe(box, f).ok, f).toBe(false);
    }
  });
  it('the hub service owns kkt/v1 but not $SYS; client ids cannot be borrowed', () => {
    expect(mayPublish(hub, 'kkt/v1/s1/b1/ack').ok).toBe(true);
    expect(mayPublish(hub, '$SYS/broker').ok).toBe(false);
    expect(maySubscribe(hub, '$SYS/#').ok).toBe(false);
    expect(mayUseClientId(box, 'b1').ok).toBe(true);
    expect(mayUseClientId(box, 'b2').ok).toBe(false);
    expect(mayUseClientId(hub, 'b1').ok).toBe(false);
  });
});

describe('shift report messages (FN documents without a sale)', () => {
  const fpd = (fp: number) => { const b = Buffer.alloc(6); b.writeUInt32BE(fp, 2); return b; };
  const reportTlv = (form: number, fd: number, shift: number, fp: number) => tlv(form, Buffer.concat([
    tlv(1000, str('ОТЧЕТ ОБ ОТКРЫТИИ СМЕНЫ')), tlv(1012, u32(1_795_600_000)), tlv(1038, u32(shift)), tlv(1040, u32(fd)),
    tlv(1041, str('9999078900012345')), tlv(1077, fpd(fp)),
  ])).toString('base64');
  const report = (over: Record<string, unknown> = {}, tlvB64 = reportTlv(2, 41, 7, 123456789)) => ({
    v: 1, receipt_id: randomUUID(), hlc: '001795600700000-00000000-box-1', store_id: 'store-1', box_id: 'box-1', type: 'shift_open',
    fiscal: { fd_number: 41, fiscal_sign: '123456789', fn_number: '9999078900012345', shift: 7, datetime: '2026-11-25T09:00:00.000Z' },
    tlv_b64: tlvB64, created_at: '2026-11-25T09:00:30.000Z', ...over,
  });
  const reason = (m: unknown) => { const r = documentMessage.safeParse(m); return r.success ? null : r.error.issues.map((i) => `${i.path.join('.')}: ${i.message}`).join('; '); };

  it('a report that matches its TLV passes; the union still takes receipts', () => {
    expect(reason(report())).toBeNull();
    expect(reason(report({ type: 'shift_close' }, reportTlv(5, 41, 7, 123456789)))).toBeNull();
    expect(documentMessage.safeParse(makeDocument({ fd: 5 })).success).toBe(true);
  });

  it('JSON that says something else than the TLV, money on a report, or a receipt TLV is refused', () => {
    expect(reason(report({ type: 'shift_close' }))).toMatch(/type: shift_close does not match the TLV document's form \(shift_open\)/);
    expect(reason(report({ fiscal: { ...report().fiscal, fd_number: 42 } }))).toMatch(/fiscal\.fd_number: 42 does not match .* tag 1040 \(41\)/);
    expect(reason(report({ fiscal: { ...report().fiscal, shift: 8 } }))).toMatch(/tag 1038 \(7\)/);
    expect(reason(report({ fiscal: { ...report().fiscal, fiscal_sign: '1' } }))).toMatch(/tag 1077/);
    expect(reason(report({ total: 100 }))).toMatch(/Unrecognized key/i);
    expect(reason(report({}, makeDocument({ fd: 41 }).tlv_b64))).toMatch(/not a shift report document: form 3/);
    expect(reason(report({ type: 'z_report' }))).toMatch(/type/);
  });
});
