// UAT-01 "Продажа очков (с рецептом)" and UAT-02 "Возврат товара" at the hub's edge: the
// optician orders lenses, the sale's fiscal document reaches the hub (recordFiscalDocument, as
// the hub ingest calls it) and the order shows the payment with its fiscal data; the refund
// links back. Through the real broker and hub ingest: tests/integration/hub-erp.test.ts.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startErpServer, type Api, type ErpServer } from '../support/erp-http.js';

export function saleDoc(over: Record<string, unknown> = {}) {
  return {
    receipt_id: '6f1c2a8e-4b3d-4e5f-9a10-0000000000a1', store_id: 'msk-01', box_id: 'box-msk-01', type: 'sale', order_id: 'LO-000001',
    total: 2130000, payments: { cash: 130000, card: 2000000 },
    fiscal: { fn_number: '9960440300000001', fd_number: 101, fiscal_sign: '2891054321', shift_number: 7, datetime: '2026-11-25T12:31:05' },
    ...over,
  };
}

describe('UAT-01/02 sale and refund of a lab order', () => {
  let srv: ErpServer;
  let optician: Api;
  let orderId: number;
  let orderNumber: string;

  beforeAll(async () => {
    srv = await startErpServer();
    optician = await srv.userApi('optician');
    const p = await optician.call('POST', '/api/v1/patients', { last_name: 'Смирнов', first_name: 'Алексей', birth_date: '1979-08-02', consent_at: '2026-11-20', phone: '+7 916 123-45-67' });
    const rx = await optician.call('POST', `/api/v1/patients/${p.body.id}/prescriptions`, {
      rx_date: '2026-11-20', prescriber: 'Кузнецова Е. Н.', od_sph: '-1.75', od_cyl: '-0.50', od_axis: '175', os_sph: '-2.00', os_cyl: '-0.75', os_axis: '5', pd_distance: '64',
    });
    expect(rx.status).toBe(201);
    const lenses = (await optician.call('GET', '/api/v1/lenses?q=SV%201.60')).body.items;
    const frames = (await optician.call('GET', '/api/v1/products?kind=frame')).body.items;
    const o = await optician.call('POST', '/api/v1/lab-orders', { prescription_id: rx.body.prescription.id, lens_od_id: lenses[0].id, lens_os_id: lenses[0].id, frame_id: frames[0].id, hbox: '52', vbox: '36', dbl: '17', store_id: 'msk-01' });
    expect(o.status).toBe(201);
    orderId = o.body.id;
    orderNumber = o.body.number;
    expect((await optician.call('POST', `/api/v1/lab-orders/${orderId}/transitions`, { to: 'confirmed' })).status).toBe(200);
  });
  afterAll(async () => srv.close());

  it('UAT-01: the fiscalised sale shows on the order with FN, FD number, fiscal sign and shift', async () => {
    const total = (await optician.call('GET', `/api/v1/lab-orders/${orderId}`)).body.total;
    const doc = saleDoc({ order_id: orderNumber, total, payments: { cash: total - 2000000, card: 2000000 } });
    expect(srv.erp.services.recordFiscalDocument(doc).stored).toBe(true);
    // at-least-once delivery: the same document again is accepted and changes nothing
    expect(srv.erp.services.recordFiscalDocument(doc).stored).toBe(false);
    const o = (await optician.call('GET', `/api/v1/lab-orders/${orderId}`)).body;
    expect(o.payments).toMatchObject({ paid: total, refunded: 0, net: total });
    expect(o.payments.documents).toHaveLength(1);
    expect(o.payments.documents[0]).toMatchObject({
      type: 'sale', fn_number: '9960440300000001', fd_number: 101, fiscal_sign: '2891054321', shift_number: 7, fiscal_at: '2026-11-25T12:31:05', cash: total - 2000000, card: 2000000,
    });
  });

  it('UAT-02: a refund naming only the original receipt links back to the order', async () => {
    srv.erp.services.recordFiscalDocument({
      receipt_id: '6f1c2a8e-4b3d-4e5f-9a10-0000000000b2', store_id: 'msk-01', box_id: 'box-msk-01', type: 'refund',
      original_receipt_id: '6f1c2a8e-4b3d-4e5f-9a10-0000000000a1', total: 320000, payments: { cash: 0, card: 320000 },
      fiscal: { fn_number: '9960440300000001', fd_number: 102, fiscal_sign: '1234567890', shift_number: 7, datetime: '2026-11-25T15:02:00' },
    });
    const o = (await optician.call('GET', `/api/v1/lab-orders/${orderId}`)).body;
    expect(o.payments.documents.map((d: { type: string }) => d.type)).toEqual(['sale', 'refund']);
    expect(o.payments.documents[1]).toMatchObject({ order_id: orderNumber, original_receipt_id: '6f1c2a8e-4b3d-4e5f-9a10-0000000000a1', fd_number: 102 });
    expect(o.payments.refunded).toBe(320000);
    expect(o.payments.net).toBe(o.total - 320000);
  });

  it('the order page shows the fiscalised payment to the optician', async () => {
    const res = await fetch(`${srv.url}/orders/${orderId}`, { headers: { authorization: `Bearer ${optician.token}` } });
    const html = await res.text();
    expect(res.status).toBe(200);
    expect(html).toContain('9960440300000001');
    expect(html).toContain('2891054321');
    expect(html).toContain('Возврат');
  });

  it('a malformed projection is refused with every bad field and stores nothing', () => {
    let err: { errors?: { field: string }[] } | undefined;
    try {
      srv.erp.services.recordFiscalDocument({ ...saleDoc({ receipt_id: 'x-1', total: 100, payments: { cash: 50, card: 20 } }), fiscal: { ...saleDoc().fiscal, fn_number: '123' } });
    } catch (e) { err = e as typeof err; }
    expect(err?.errors?.map((e) => e.field).sort()).toEqual(['fiscal.fn_number', 'payments']);
    expect(() => srv.erp.services.recordFiscalDocument({ ...saleDoc({ receipt_id: 'x-2', type: 'refund', order_id: null }) })).toThrow(/original_receipt_id/);
    expect(srv.erp.services.db.prepare("SELECT COUNT(*) AS n FROM erp_fiscal_documents WHERE receipt_id LIKE 'x-%'").get()).toEqual({ n: 0 });
  });
});
