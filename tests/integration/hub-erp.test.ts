// The ERP inside the hub, end to end through the real broker: a box publishes its fiscal
// documents over MQTT and the ERP shows them on the lab order (UAT-01), links the refund back
// (UAT-02) and reports them per store and day (UAT-04). ERP trouble never touches the fiscal
// path: the box still gets its ack and the OFD its document.
import type { MqttClient } from 'mqtt';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { boxTopics } from '../../shared/mqtt/topics.js';
import { makeDocument } from '../support/documents.js';
import type { Api } from '../support/erp-http.js';
import { collectAcks, connectBox, waitFor } from '../support/hub-fixture.js';
import { eventually, hubErpLogin } from '../support/hub-erp.js';
import { hubStack, OPERATOR_TOKEN, type HubStack } from '../support/hub-stack.js';

const T = boxTopics({ store: 'store-1', box: 'box-1' });

describe('hub + ERP: fiscal documents from a box reach the lab order', () => {
  let s: HubStack;
  let box: MqttClient;
  let admin: Api;
  let orderId: number;
  let orderNumber: string;
  let total: number;
  let saleId = '';
  let acks: ReturnType<typeof collectAcks>;

  beforeAll(async () => {
    s = await hubStack();
    box = await connectBox(s.hub.mqttUrl, 'box-1');
    await box.subscribeAsync(T.ack, { qos: 1 });
    acks = collectAcks(box, T.ack);
    admin = await hubErpLogin(s.hub.httpUrl, s.cfg.erp.adminUser, s.cfg.erp.adminPassword);
    const p = await admin.call('POST', '/api/v1/patients', { last_name: 'Смирнов', first_name: 'Алексей', birth_date: '1979-08-02', consent_at: '2026-11-20' });
    expect(p.status).toBe(201);
    const rx = await admin.call('POST', `/api/v1/patients/${p.body.id}/prescriptions`, {
      rx_date: '2026-11-20', prescriber: 'Кузнецова Е. Н.', od_sph: '-1.75', od_cyl: '-0.50', od_axis: '175', os_sph: '-2.00', pd_distance: '64',
    });
    expect(rx.status).toBe(201);
    const lenses = (await admin.call('GET', '/api/v1/lenses?q=SV%201.60')).body.items;
    const o = await admin.call('POST', '/api/v1/lab-orders', { prescription_id: rx.body.prescription.id, lens_od_id: lenses[0].id, lens_os_id: lenses[0].id, hbox: '52', vbox: '36', dbl: '17', store_id: 'store-1' });
    expect(o.status).toBe(201);
    ({ id: orderId, number: orderNumber, total } = o.body);
    expect((await admin.call('POST', `/api/v1/lab-orders/${orderId}/transitions`, { to: 'confirmed' })).status).toBe(200);
  });
  afterAll(async () => { await box?.endAsync(true); await s?.close(); });

  const order = async () => (await admin.call('GET', `/api/v1/lab-orders/${orderId}`)).body;

  it('UAT-01: a sale naming the order, published by the box, shows on the order with its fiscal data (once, even when republished)', async () => {
    const sale = { ...makeDocument({ total, fd: 501 }), order_id: orderNumber, payments: [{ method: 'cash' as const, amount: 100000 }, { method: 'card' as const, amount: total - 100000 }] };
    saleId = sale.receipt_id;
    await box.publishAsync(T.receipt, JSON.stringify(sale), { qos: 1 });
    const o = await eventually(order, (v) => v.payments.documents.length === 1);
    expect(o.payments).toMatchObject({ paid: total, refunded: 0, net: total });
    expect(o.payments.documents[0]).toMatchObject({
      receipt_id: saleId, type: 'sale', store_id: 'store-1', box_id: 'box-1', fn_number: sale.fiscal.fn_number, fd_number: 501,
      fiscal_sign: sale.fiscal.fiscal_sign, shift_number: 1, fiscal_at: '2026-11-25T10:00:00', cash: 100000, card: total - 100000,
    });
    // at-least-once: the box republishes; the hub dedupes and the ERP sees it once
    await box.publishAsync(T.receipt, JSON.stringify(sale), { qos: 1 });
    await waitFor(() => acks.get(saleId)?.some((a) => a.result === 'duplicate') ?? false);
    expect((await order()).payments.documents).toHaveLength(1);
    await waitFor(() => acks.get(saleId)?.some((a) => a.ofd.status === 'confirmed') ?? false);
  });

  it('UAT-02: a refund naming only the original receipt links back to the order', async () => {
    const refund = makeDocument({ type: 'refund', total: 320000, original: saleId, fd: 502 });
    await box.publishAsync(T.receipt, JSON.stringify(refund), { qos: 1 });
    const o = await eventually(order, (v) => v.payments.documents.length === 2);
    expect(o.payments).toMatchObject({ paid: total, refunded: 320000, net: total - 320000 });
    expect(o.payments.documents[1]).toMatchObject({ receipt_id: refund.receipt_id, type: 'refund', original_receipt_id: saleId, order_id: orderNumber, fd_number: 502 });
  });

  it('UAT-04: reports per store and day and per shift count what the box sent', async () => {
    const other = makeDocument({ box: 'box-1', total: 55000, fd: 503 });
    await box.publishAsync(T.receipt, JSON.stringify(other), { qos: 1 });
    const daily = await eventually(async () => (await admin.call('GET', '/api/v1/reports/daily?store_id=store-1')).body.items,
      (items: { sales_count: number }[]) => items[0]?.sales_count === 2);
    expect(daily).toEqual([{
      store_id: 'store-1', day: '2026-11-25', sales_count: 2, sales_total: total + 55000, sales_cash: 100000, sales_card: total - 100000 + 55000,
      refunds_count: 1, refunds_total: 320000, refunds_cash: 0, refunds_card: 320000, net_total: total + 55000 - 320000,
    }]);
    const shifts = (await admin.call('GET', '/api/v1/reports/shifts?store_id=store-1')).body.items;
    expect(shifts).toHaveLength(1);
    expect(shifts[0]).toMatchObject({ box_id: 'box-1', shift_number: 1, first_fd: 501, last_fd: 503, sales_count: 2, refunds_count: 1 });
  });

  it('a document the ERP rejects still gets its ack and reaches the OFD; the hub counts it', async () => {
    // A refund with no link back: valid for the fiscal contract, refused by the ERP.
    const orphan = makeDocument({ type: 'refund', total: 1000, fd: 504 });
    await box.publishAsync(T.receipt, JSON.stringify(orphan), { qos: 1 });
    await waitFor(() => acks.get(orphan.receipt_id)?.some((a) => a.ofd.status === 'confirmed') ?? false);
    await waitFor(() => s.hub.erp!.link.counts().rejected === 1);
    expect(s.hub.erp!.link.failures()[0]).toMatchObject({ receipt_id: orphan.receipt_id, rejected: 1 });
    const metrics = await (await fetch(`${s.hub.httpUrl}/metrics`)).text();
    expect(metrics).toMatch(/hub_erp_link_total\{result="linked"\} 3/);
    expect(metrics).toMatch(/hub_erp_link_total\{result="rejected"\} 1/);
    // one registry: the ERP's own counters are on the hub's /metrics
    expect(metrics).toMatch(/erp_fiscal_documents_total\{type="sale",stored="true"\} 2/);
    expect(metrics).toMatch(/hub_ingest_messages_total\{result="stored"\} 4/);
    // the operator sees it and can hand it over again (still refused: parked again)
    const auth = { authorization: `Bearer ${OPERATOR_TOKEN}` };
    const listed = (await (await fetch(`${s.hub.httpUrl}/api/erp-link`, { headers: auth })).json()) as { rejected: number; documents: { receipt_id: string; last_error: string }[] };
    expect(listed).toMatchObject({ backlog: 0, retrying: 0, rejected: 1, documents: [{ receipt_id: orphan.receipt_id }] });
    expect(listed.documents[0]!.last_error).toContain('original_receipt_id');
    const retry = await fetch(`${s.hub.httpUrl}/api/erp-link/retry`, { method: 'POST', headers: auth });
    expect(await retry.json()).toEqual({ retried: 1 });
    await waitFor(() => s.hub.erp!.link.failures()[0]?.attempts === 2);
    expect((await fetch(`${s.hub.httpUrl}/api/erp-link`)).status).toBe(401);
  });

  it('the hub keeps its own routes: /api/fleet, /health; the ERP answers the rest (pages, its 404)', async () => {
    const fleet = await fetch(`${s.hub.httpUrl}/api/fleet`, { headers: { authorization: `Bearer ${OPERATOR_TOKEN}` } });
    expect(fleet.status).toBe(200);
    expect(((await fleet.json()) as { boxes: unknown[] }).boxes).toHaveLength(2);
    const health = (await (await fetch(`${s.hub.httpUrl}/health`)).json()) as { components: Record<string, { ok: boolean }> };
    expect(health.components.erp?.ok).toBe(true);
    const login = await fetch(`${s.hub.httpUrl}/login`);
    expect(login.status).toBe(200);
    expect(await login.text()).toContain('<form');
    const missing = await fetch(`${s.hub.httpUrl}/no-such-page`, { headers: { authorization: `Bearer ${admin.token}` } });
    expect(missing.status).toBe(404);
    expect(missing.headers.get('content-type')).toContain('text/html');
  });
});
