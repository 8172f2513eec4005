// UAT-01/02/04/11 end to end through every real part: the ERP in a real hub creates and confirms
// a lab order; the POS sells it at the BOX (LAN API -> Shtrih emulator on a PTY -> buffer ->
// MQTT uplink -> hub ingest -> test OFD + ERP); the order shows the payment with the printer's
// own fiscal data; the refund saga holds the refund until the original has its OFD ticket; X/Z
// reports print through the box and the hub's reports count what the printer counted.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ShtrihEmulator } from '../../hardware/shtrih-emulator/emulator.js';
import { startTestBox, TEST_TOKEN, type TestBox } from '../helpers/box-server.js';
import { printerOverrides } from '../helpers/printer-box.js';
import { saleBody } from '../helpers/receipts.js';
import { tempDir } from '../helpers/temp-dir.js';
import type { Api } from '../support/erp-http.js';
import { BOX_SECRET, waitFor } from '../support/hub-fixture.js';
import { eventually, hubErpLogin } from '../support/hub-erp.js';
import { hubStack, type HubStack } from '../support/hub-stack.js';

describe('UAT-01/02/04 through box, printer emulator, hub, OFD and ERP', () => {
  let s: HubStack;
  let t: TestBox;
  let emu: ShtrihEmulator;
  let emuDir: ReturnType<typeof tempDir>;
  let erp: Api;
  let orderId: number;
  let orderNumber: string;
  let total: number;
  let saleId = '';
  let saleFiscal: { fiscal_document_number: number; fiscal_sign: string; fn_serial: string };
  const postJson = (path: string) => fetch(`${t.url}${path}`, { method: 'POST', headers: { authorization: `Bearer ${TEST_TOKEN}`, 'content-type': 'application/json' }, body: '{}' });
  const receipt = async (id: string) => (await (await t.get(`/v1/kkt/receipt/${id}`)).json()) as { status: string };
  const order = async () => (await erp.call('GET', `/api/v1/lab-orders/${orderId}`)).body;

  beforeAll(async () => {
    // The emulator signs with its own FN key, so the OFD checks structure but not the sign.
    s = await hubStack({}, { fnKey: null });
    emuDir = tempDir('kkt-emu-');
    emu = await ShtrihEmulator.onPty({ dir: emuDir.path, printLineMs: 1 });
    t = await startTestBox({
      ...printerOverrides(emu.hostPath),
      uplink: { enabled: true, url: s.hub.mqttUrl, storeId: 'store-1', boxId: 'box-1', secret: BOX_SECRET, pollMs: 50 },
    });
    await waitFor(() => t.box.uplink?.connected === true);
    erp = await hubErpLogin(s.hub.httpUrl, s.cfg.erp.adminUser, s.cfg.erp.adminPassword);
    const p = await erp.call('POST', '/api/v1/patients', { last_name: 'Смирнов', first_name: 'Алексей', birth_date: '1979-08-02', consent_at: '2026-11-20' });
    expect(p.status).toBe(201);
    const rx = await erp.call('POST', `/api/v1/patients/${p.body.id}/prescriptions`, {
      rx_date: '2026-11-20', prescriber: 'Кузнецова Е. Н.', od_sph: '-1.75', od_cyl: '-0.50', od_axis: '175', os_sph: '-2.00', pd_distance: '64',
    });
    expect(rx.status).toBe(201);
    const lenses = (await erp.call('GET', '/api/v1/lenses?q=SV%201.60')).body.items;
    const o = await erp.call('POST', '/api/v1/lab-orders', { prescription_id: rx.body.prescription.id, lens_od_id: lenses[0].id, lens_os_id: lenses[0].id, hbox: '52', vbox: '36', dbl: '17', store_id: 'store-1' });
    expect(o.status).toBe(201);
    ({ id: orderId, number: orderNumber, total } = o.body);
    expect((await erp.call('POST', `/api/v1/lab-orders/${orderId}/transitions`, { to: 'confirmed' })).status).toBe(200);
  }, 30_000);
  afterAll(async () => {
    await t?.stop();
    await emu?.stop();
    emuDir?.remove();
    await s?.close();
  });

  it('UAT-01: the sale at the box carries the fiscal sign, reaches the OFD once and shows on the order', async () => {
    const rub = total / 100;
    const res = await t.post(saleBody({
      order_id: orderNumber,
      items: [{ name: 'Очки по рецепту', qty: 1, price: rub, product_id: orderNumber }],
      payments: [{ method: 'cash', amount: 1000 }, { method: 'card', amount: rub - 1000 }],
    }));
    const body = await res.json() as { receipt_id: string; status: string; fiscal: typeof saleFiscal };
    expect(res.status, JSON.stringify(body)).toBe(201);
    expect(body.fiscal.fiscal_sign).toMatch(/^\d+$/);
    saleId = body.receipt_id;
    saleFiscal = body.fiscal;
    expect(emu.fn.doc(saleFiscal.fiscal_document_number)?.fp).toBe(Number(saleFiscal.fiscal_sign));
    await waitFor(() => t.box.buffer.get(saleId)?.status === 'synced', 15_000);
    expect((await receipt(saleId)).status).toBe('synced');
    // the OFD ticket went back into the printer's FN: the document is no longer unconfirmed
    await waitFor(() => emu.fn.doc(saleFiscal.fiscal_document_number)?.confirmed === true);
    expect(s.ofd.stats()).toMatchObject({ accepted: 1, duplicates: 0 });
    const o = await eventually(order, (v) => v.payments.documents.length === 1);
    expect(o.payments).toMatchObject({ paid: total, refunded: 0, net: total });
    expect(o.payments.documents[0]).toMatchObject({
      receipt_id: saleId, type: 'sale', store_id: 'store-1', box_id: 'box-1', order_id: orderNumber,
      fn_number: saleFiscal.fn_serial, fd_number: saleFiscal.fiscal_document_number, fiscal_sign: saleFiscal.fiscal_sign,
      cash: 100000, card: total - 100000,
    });
  }, 30_000);

  it('UAT-02: a refund is refused until the original has its OFD ticket, then links back to the order', async () => {
    // a second sale whose OFD delivery is held back: its refund must wait (refund saga)
    await s.ofd.setFault({ mode: '503' });
    const held = await (await t.post(saleBody())).json() as { receipt_id: string };
    await waitFor(() => t.box.buffer.get(held.receipt_id)?.status === 'delivered', 15_000);
    const early = await t.post(saleBody({ type: 'refund', original_receipt_id: held.receipt_id }));
    expect(early.status).toBe(409);
    expect(early.headers.get('content-type')).toMatch(/problem\+json/);
    expect(await early.json()).toMatchObject({ type: expect.stringMatching(/refund-original-not-synced/), original_status: 'delivered' });
    await s.ofd.setFault({ mode: 'ok' });
    await waitFor(() => t.box.buffer.get(held.receipt_id)?.status === 'synced', 15_000);

    const refund = await t.post(saleBody({
      type: 'refund', original_receipt_id: saleId,
      items: [{ name: 'Оправа (возврат)', qty: 1, price: 3200 }], payments: [{ method: 'card', amount: 3200 }],
    }));
    const r = await refund.json() as { receipt_id: string; fiscal: { fiscal_document_number: number } };
    expect(refund.status, JSON.stringify(r)).toBe(201);
    await waitFor(() => t.box.buffer.get(r.receipt_id)?.status === 'synced', 15_000);
    const o = await eventually(order, (v) => v.payments.documents.length === 2);
    expect(o.payments).toMatchObject({ paid: total, refunded: 320000, net: total - 320000 });
    expect(o.payments.documents[1]).toMatchObject({ receipt_id: r.receipt_id, type: 'refund', original_receipt_id: saleId, order_id: orderNumber, fd_number: r.fiscal.fiscal_document_number });
    expect(s.ofd.stats()).toMatchObject({ accepted: 3, duplicates: 0 });
  }, 40_000);

  it('UAT-04/11: X and Z reports through the box; the hub reports equal the printer shift', async () => {
    const x = await postJson('/v1/kkt/report/x');
    const xb = await x.json() as { shift_open: boolean; shift_number: number; receipts_in_shift: number };
    expect(x.status, JSON.stringify(xb)).toBe(200);
    expect(xb).toMatchObject({ printed: 'x-report', shift_open: true });
    const z = await postJson('/v1/kkt/shift/close');
    const zb = await z.json() as { shift_number: number; receipts_in_shift: number };
    expect(z.status, JSON.stringify(zb)).toBe(200);
    expect(zb).toMatchObject({ printed: 'z-report', shift_open: false, shift_number: xb.shift_number });
    // a second Z on a closed shift is a clear problem, not a silent success
    const again = await postJson('/v1/kkt/shift/close');
    expect(again.status).toBeGreaterThanOrEqual(400);
    expect(again.headers.get('content-type')).toMatch(/problem\+json/);

    const heldTotal = 100000; // saleBody(): 1000 rub by card
    const daily = (await erp.call('GET', '/api/v1/reports/daily?store_id=store-1')).body.items;
    expect(daily).toHaveLength(1);
    expect(daily[0]).toMatchObject({
      store_id: 'store-1', sales_count: 2, sales_total: total + heldTotal, sales_cash: 100000, sales_card: total - 100000 + heldTotal,
      refunds_count: 1, refunds_total: 320000, refunds_card: 320000, net_total: total + heldTotal - 320000,
    });
    const shifts = (await erp.call('GET', '/api/v1/reports/shifts')).body.items;
    expect(shifts).toHaveLength(1);
    expect(shifts[0]).toMatchObject({ fn_number: saleFiscal.fn_serial, shift_number: zb.shift_number, sales_count: 2, refunds_count: 1 });
    expect(shifts[0].sales_count + shifts[0].refunds_count).toBe(zb.receipts_in_shift);
  }, 30_000);
});
