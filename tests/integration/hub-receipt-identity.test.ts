// A receipt id names one box's document (hub review 2026-11): another box's document, or another
// document of the same box, under an id the hub already holds goes to the DLQ unacked, and the
// stored document, its OFD ticket and its box are untouched. Also: documents whose JSON does not
// agree with their TLV, and payloads that are not UTF-8, never reach the store or the OFD.
// Real hub (embedded aedes, ingest, forwarder) and the test OFD; a real box in the last test.
import { afterEach, describe, expect, it } from 'vitest';
import type { MqttClient } from 'mqtt';
import type { Fiscaliser } from '../../firmware/fiscal/fiscaliser.js';
import type { syntheticFnBridge } from '../../firmware/uplink/fn-bridge.js';
import type { ReceiptAck, ReceiptMessage } from '../../shared/mqtt/messages.js';
import { boxTopics } from '../../shared/mqtt/topics.js';
import { startTestBox, type TestBox } from '../helpers/box-server.js';
import { saleBody } from '../helpers/receipts.js';
import { makeDocument, TEST_FN } from '../support/documents.js';
import { fakeFiscaliser } from '../support/fake-fiscaliser.js';
import { BOX_SECRET, collectAcks, connectBox, waitFor } from '../support/hub-fixture.js';
import { hubStack, type HubStack } from '../support/hub-stack.js';

const T1 = boxTopics({ store: 'store-1', box: 'box-1' });
const T2 = boxTopics({ store: 'store-1', box: 'box-2' });

describe('receipt identity and consistency at the hub, end to end', () => {
  let s: HubStack | undefined;
  let t: TestBox | undefined;
  const clients: MqttClient[] = [];

  afterEach(async () => {
    await t?.stop();
    t = undefined;
    for (const c of clients.splice(0)) await c.endAsync(true);
    await s?.close();
    s = undefined;
  });

  async function box(stack: HubStack, id: 'box-1' | 'box-2') {
    const topics = id === 'box-1' ? T1 : T2;
    const c = await connectBox(stack.hub.mqttUrl, id);
    clients.push(c);
    await c.subscribeAsync(topics.ack, { qos: 1 });
    return { c, topics, acks: collectAcks(c, topics.ack), publish: (d: unknown) => c.publishAsync(topics.receipt, typeof d === 'string' || Buffer.isBuffer(d) ? d : JSON.stringify(d), { qos: 1 }) };
  }
  const confirmed = (acks: Map<string, ReceiptAck[]>, id: string) => acks.get(id)?.find((a) => a.ofd.status === 'confirmed');
  const dlqReasons = (stack: HubStack) => stack.hub.store.malformed(1000).map((m) => m.reason);
  const malformedMetric = async (stack: HubStack) => {
    const text = await (await fetch(`${stack.hub.httpUrl}/metrics`)).text();
    return Number(/^hub_ingest_messages_total\{result="malformed"\} (\d+)/m.exec(text)?.[1] ?? 0);
  };

  it('another box\'s document under a stored receipt id is DLQ\'d, not acked, and the original is untouched', async () => {
    s = await hubStack();
    const b1 = await box(s, 'box-1');
    const b2 = await box(s, 'box-2');
    const original = makeDocument();
    await b1.publish(original);
    await waitFor(() => confirmed(b1.acks, original.receipt_id) !== undefined);
    const ticket = confirmed(b1.acks, original.receipt_id)!.ofd.ticket!;
    expect(ticket.fd_number).toBe(original.fiscal.fd_number);

    const foreign: ReceiptMessage = { ...makeDocument({ box: 'box-2', total: 99900 }), receipt_id: original.receipt_id };
    await b2.publish(foreign);
    await waitFor(() => dlqReasons(s!).length === 1);
    expect(dlqReasons(s)[0]).toMatch(new RegExp(`receipt_id ${original.receipt_id} is already used by another box \\(store-1/box-1\\)`));
    expect(await malformedMetric(s)).toBe(1);

    // The ingest answers a box in the order it received; box-2's next document being acked
    // (and confirmed) shows no ack for the refused one is still on its way.
    const next = makeDocument({ box: 'box-2' });
    await b2.publish(next);
    await waitFor(() => confirmed(b2.acks, next.receipt_id) !== undefined);
    expect(b2.acks.get(original.receipt_id)).toBeUndefined();

    const row = s.hub.store.get(original.receipt_id)!;
    expect(row).toMatchObject({ box_id: 'box-1', ofd_status: 'confirmed', ticket });
    expect(row.doc).toEqual(original);
    expect(s.hub.store.counts()).toMatchObject({ confirmed: 2, duplicates: 0 });
    // The OFD saw box-1's document once and box-2's next one; never the refused one.
    expect(s.ofd.stats()).toMatchObject({ accepted: 2, duplicates: 0 });
    expect(s.ofd.stats().order[TEST_FN]).toEqual([original.fiscal.fd_number, next.fiscal.fd_number]);

    // box-1's own republish is still a duplicate, answered with its own ticket.
    await b1.publish(original);
    await waitFor(() => b1.acks.get(original.receipt_id)?.some((a) => a.result === 'duplicate') === true);
    expect(b1.acks.get(original.receipt_id)!.find((a) => a.result === 'duplicate')!.ofd.ticket).toEqual(ticket);
    expect(s.hub.store.counts().duplicates).toBe(1);
  });

  it('another document of the same box under a stored receipt id is DLQ\'d, not acked', async () => {
    s = await hubStack();
    const b1 = await box(s, 'box-1');
    const original = makeDocument();
    await b1.publish(original);
    await waitFor(() => b1.acks.has(original.receipt_id));
    const other: ReceiptMessage = { ...makeDocument(), receipt_id: original.receipt_id };
    await b1.publish(other);
    await waitFor(() => dlqReasons(s!).length === 1);
    expect(dlqReasons(s)[0]).toMatch(new RegExp(`already names another document of this box \\(FN ${TEST_FN} FD ${original.fiscal.fd_number}\\); this one \\(FN ${TEST_FN} FD ${other.fiscal.fd_number}\\)`));
    const probe = makeDocument();
    await b1.publish(probe);
    await waitFor(() => b1.acks.has(probe.receipt_id));
    expect(b1.acks.get(original.receipt_id)!.map((a) => a.result)).not.toContain('duplicate');
    expect(s.hub.store.get(original.receipt_id)!.doc).toEqual(original);
  });

  it('a projection that disagrees with its TLV, and a payload that is not UTF-8, are DLQ\'d with the reason', async () => {
    s = await hubStack();
    const b1 = await box(s, 'box-1');
    const doc = makeDocument();
    const wrongFd: ReceiptMessage = { ...doc, tlv_b64: makeDocument().tlv_b64 };
    const unpaid: ReceiptMessage = { ...makeDocument(), payments: [{ method: 'card', amount: 1 }] };
    const named = makeDocument();
    const [before, after] = JSON.stringify({ ...named, items: [{ ...named.items[0]!, name: 'X' }] }).split('"name":"X"') as [string, string];
    const notUtf8 = Buffer.concat([Buffer.from(`${before}"name":"`), Buffer.from([0xff, 0xfe]), Buffer.from(`"${after}`)]);
    for (const p of [wrongFd, unpaid, notUtf8]) await b1.publish(p);
    await waitFor(() => dlqReasons(s!).length === 3);
    const reasons = dlqReasons(s).join('\n');
    expect(reasons).toMatch(new RegExp(`fiscal\\.fd_number: ${doc.fiscal.fd_number} does not match the TLV document's tag 1040`));
    expect(reasons).toMatch(/payments: payments 0\.01 RUB do not cover the total/);
    expect(reasons).toMatch(/^not UTF-8/m);
    const good = makeDocument();
    await b1.publish(good);
    await waitFor(() => confirmed(b1.acks, good.receipt_id) !== undefined);
    expect(s.hub.store.counts()).toMatchObject({ pending: 0, confirmed: 1, malformed: 3 });
    for (const id of [doc.receipt_id, unpaid.receipt_id, named.receipt_id]) expect(b1.acks.has(id)).toBe(false);
    expect(s.ofd.stats().order[TEST_FN]).toEqual([good.fiscal.fd_number]);
  });

  it('a real box whose receipt is refused keeps it unsent, publishes it again, and its later receipts still sync', async () => {
    // The box-2 FN is not the one whose key the test OFD knows: skip the fiscal-sign check.
    s = await hubStack({}, { fnKey: null });
    const b1 = await box(s, 'box-1');
    const BOX2_FN = '9999078900077777';
    const inner = fakeFiscaliser(BOX2_FN);
    let original: ReceiptMessage | undefined;
    // box-1 takes the id of box-2's first receipt before box-2 has printed it, so the order of
    // events is fixed: the hub holds box-1's document when box-2's first arrives.
    const fiscaliser: Fiscaliser = {
      async fiscalise(r) {
        if (!original) {
          original = { ...makeDocument(), receipt_id: r.id };
          await b1.publish(original);
          await waitFor(() => b1.acks.has(r.id));
        }
        return inner.fiscalise(r);
      },
    };
    t = await startTestBox({ uplink: { enabled: true, url: s.hub.mqttUrl, storeId: 'store-1', boxId: 'box-2', secret: BOX_SECRET, pollMs: 50, ackTimeoutMs: 300 } }, { fiscaliser });
    await waitFor(() => t!.box.uplink?.connected === true);
    const res = await t.post(saleBody());
    expect(res.status).toBe(201);
    const { receipt_id: id } = await res.json() as { receipt_id: string };
    expect(id).toBe(original!.receipt_id);

    // Refused, then published again after ackTimeoutMs without an ack: not lost, not synced.
    // Each republish of the same bytes counts on one DLQ row (repeats), not a row each.
    const refusals = () => s!.hub.store.malformed(1000).filter((m) => m.reason.includes(`receipt_id ${id} is already used by another box (store-1/box-1)`))
      .reduce((n, m) => n + 1 + m.repeats, 0);
    await waitFor(() => refusals() >= 2);
    expect(t.box.buffer.get(id)?.status).toBe('printed');

    // box-2 goes on: its next receipt reaches the OFD and comes back synced.
    const r2 = await t.post(saleBody());
    const { receipt_id: id2 } = await r2.json() as { receipt_id: string };
    await waitFor(() => t!.box.buffer.get(id2)?.status === 'synced');
    expect(t.box.buffer.get(id)?.status).toBe('printed');
    const fn = t.box.uplink!.fn as ReturnType<typeof syntheticFnBridge>;
    expect(fn.tickets.map((x) => [x.fn_number, x.fd_number])).toEqual([[BOX2_FN, 2]]);

    // box-1's document: confirmed with its own ticket; the OFD never saw box-2's first one.
    await waitFor(() => confirmed(b1.acks, id) !== undefined);
    expect(confirmed(b1.acks, id)!.ofd.ticket).toMatchObject({ fn_number: TEST_FN, fd_number: original!.fiscal.fd_number });
    expect(s.hub.store.get(id)).toMatchObject({ box_id: 'box-1', doc: original });
    expect(s.ofd.stats().order).toEqual({ [TEST_FN]: [original!.fiscal.fd_number], [BOX2_FN]: [2] });
    expect(await malformedMetric(s)).toBeGreaterThanOrEqual(2);
  });
});
