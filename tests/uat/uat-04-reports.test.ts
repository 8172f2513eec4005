// UAT-04 "X/Z отчёты" at the hub: per store and day, and per shift, sales and refunds by
// payment type from the fiscal documents, equal to what each printer's Z report counted.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startErpServer, type Api, type ErpServer } from '../support/erp-http.js';

interface Doc { store: string; box: string; fn: string; shift: number; fd: number; type: 'sale' | 'refund'; cash: number; card: number; at: string }

/** A Z report as the printer keeps it: counters per shift, independent of the hub's SQL. */
function zReport(docs: Doc[], fn: string, shift: number) {
  const mine = docs.filter((d) => d.fn === fn && d.shift === shift);
  const sum = (t: string, k: 'cash' | 'card') => mine.filter((d) => d.type === t).reduce((s, d) => s + d[k], 0);
  return {
    sales_count: mine.filter((d) => d.type === 'sale').length, sales_cash: sum('sale', 'cash'), sales_card: sum('sale', 'card'),
    refunds_count: mine.filter((d) => d.type === 'refund').length, refunds_cash: sum('refund', 'cash'), refunds_card: sum('refund', 'card'),
    first_fd: Math.min(...mine.map((d) => d.fd)), last_fd: Math.max(...mine.map((d) => d.fd)),
  };
}

describe('UAT-04 reports per store, day and shift', () => {
  let srv: ErpServer;
  let manager: Api;
  const docs: Doc[] = [];

  beforeAll(async () => {
    srv = await startErpServer();
    manager = await srv.userApi('manager');
    let fd = 200;
    const add = (d: Omit<Doc, 'fd'>) => {
      fd += 1;
      docs.push({ ...d, fd });
    };
    for (let i = 0; i < 6; i += 1) add({ store: 'msk-01', box: 'box-a', fn: '9960440300000001', shift: 7, type: 'sale', cash: 10000 * i, card: 155050, at: `2026-11-24T1${i}:00:00` });
    add({ store: 'msk-01', box: 'box-a', fn: '9960440300000001', shift: 7, type: 'refund', cash: 10000, card: 0, at: '2026-11-24T18:00:00' });
    for (let i = 0; i < 3; i += 1) add({ store: 'msk-01', box: 'box-a', fn: '9960440300000001', shift: 8, type: 'sale', cash: 0, card: 99900, at: `2026-11-25T1${i}:30:00` });
    for (let i = 0; i < 4; i += 1) add({ store: 'spb-02', box: 'box-b', fn: '9960440300000002', shift: 3, type: 'sale', cash: 250000, card: 1, at: `2026-11-25T0${i + 6}:15:00` });
    add({ store: 'spb-02', box: 'box-b', fn: '9960440300000002', shift: 3, type: 'refund', cash: 0, card: 250001, at: '2026-11-25T20:00:00' });
    for (const [i, d] of docs.entries()) {
      srv.erp.services.recordFiscalDocument({
        receipt_id: `r-${i}`, store_id: d.store, box_id: d.box, type: d.type, order_id: d.type === 'refund' ? 'LO-X' : null, total: d.cash + d.card,
        payments: { cash: d.cash, card: d.card }, fiscal: { fn_number: d.fn, fd_number: d.fd, fiscal_sign: String(1000 + i), shift_number: d.shift, datetime: d.at },
      });
    }
    // a redelivered document must not be counted twice
    srv.erp.services.recordFiscalDocument({ receipt_id: 'r-0', store_id: 'msk-01', box_id: 'box-a', type: 'sale', total: 155050, payments: { cash: 0, card: 155050 }, fiscal: { fn_number: '9960440300000001', fd_number: 201, fiscal_sign: '1000', shift_number: 7, datetime: '2026-11-24T10:00:00' } });
  });
  afterAll(async () => srv.close());

  it('shift summaries equal each printer Z report (counts, cash, card, FD range)', async () => {
    const r = await manager.call('GET', '/api/v1/reports/shifts');
    expect(r.status).toBe(200);
    expect(r.body.items).toHaveLength(3);
    for (const [fn, shift] of [['9960440300000001', 7], ['9960440300000001', 8], ['9960440300000002', 3]] as const) {
      const row = r.body.items.find((x: { fn_number: string; shift_number: number }) => x.fn_number === fn && x.shift_number === shift);
      expect(row).toMatchObject(zReport(docs, fn, shift));
      expect(row.net_total).toBe(row.sales_total - row.refunds_total);
    }
  });

  it('daily report per store and day with sales and refunds by payment type, filterable', async () => {
    const all = (await manager.call('GET', '/api/v1/reports/daily')).body.items;
    expect(all.map((d: { day: string; store_id: string }) => `${d.day} ${d.store_id}`)).toEqual(['2026-11-25 msk-01', '2026-11-25 spb-02', '2026-11-24 msk-01']);
    const spb = (await manager.call('GET', '/api/v1/reports/daily?store_id=spb-02&from=2026-11-25&to=2026-11-25')).body.items;
    expect(spb).toEqual([{
      store_id: 'spb-02', day: '2026-11-25', sales_count: 4, sales_total: 1000004, sales_cash: 1000000, sales_card: 4,
      refunds_count: 1, refunds_total: 250001, refunds_cash: 0, refunds_card: 250001, net_total: 750003,
    }]);
    const msk24 = all.find((d: { day: string }) => d.day === '2026-11-24');
    expect(msk24).toMatchObject({ sales_count: 6, sales_cash: 150000, sales_card: 930300, refunds_cash: 10000, net_total: 150000 + 930300 - 10000 });
  });

  it('reports are for managers: an optician gets 403, the page renders for a manager', async () => {
    const optician = await srv.userApi('optician');
    expect((await optician.call('GET', '/api/v1/reports/daily')).status).toBe(403);
    const page = await fetch(`${srv.url}/reports?store_id=spb-02`, { headers: { authorization: `Bearer ${manager.token}` } });
    const html = await page.text();
    expect(html).toContain('10000.04');
    expect(html).toContain('2500.01');
  });
});
