// The audit page (/audit) over real HTTP: each changed field with its Russian label and in the
// unit a user types (diopters, rubles, millimetres, catalog words), user text still escaped,
// while /api/v1/audit keeps the stored integers for machines.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startErpServer, type Api, type ErpServer } from '../support/erp-http.js';

describe('ERP audit page', () => {
  let srv: ErpServer;
  let admin: Api;
  let optician: Api;
  beforeAll(async () => {
    srv = await startErpServer();
    admin = await srv.admin();
    optician = await srv.userApi('optician');
  });
  afterAll(async () => srv.close());

  it('shows labels and typed units, escapes user text, and leaves the API raw', async () => {
    const lens = await admin.call('POST', '/api/v1/lenses', {
      name: 'Audit <script>alert(1)</script>', lens_type: 'single_vision', refractive_index: '1.67', material: 'MR-7', coatings: ['ar'],
      diameter_mm: 70, sph_min: '-16.00', sph_max: '+6.00', cyl_min: '-4.00', supplier: 'LensVision', cost: '4200.00', price: '5100.50',
    });
    expect(lens.status).toBe(201);
    const p = await optician.call('POST', '/api/v1/patients', { last_name: 'Зуева', first_name: 'Ольга', consent_at: '2026-11-20' });
    await optician.call('PUT', `/api/v1/patients/${p.body.id}`, { last_name: 'Зуева', first_name: 'Ольга', consent_at: '2026-11-20', birth_date: '1980-05-06', notes: '<script>x()</script>' });
    const rx = await optician.call('POST', `/api/v1/patients/${p.body.id}/prescriptions`, { rx_date: '2026-11-20', prescriber: 'x', od_sph: '-2.25', od_cyl: '-0.75', od_axis: '90', os_sph: '-2.00', pd_distance: '62.5' });
    expect(rx.status).toBe(201);
    const o = await optician.call('POST', '/api/v1/lab-orders', { prescription_id: rx.body.prescription.id, lens_od_id: lens.body.id, lens_os_id: lens.body.id, hbox: '52' });
    expect(o.status).toBe(201);
    expect((await admin.call('POST', `/api/v1/lab-orders/${o.body.id}/transitions`, { to: 'cancelled', reason: 'дубль' })).body.state).toBe('cancelled');

    const res = await fetch(`${srv.url}/audit?per_page=100`, { headers: { authorization: `Bearer ${admin.token}` } });
    expect(res.status).toBe(200);
    const html = await res.text();
    // Lens: diopters as written on a prescription, kopecks as rubles, index as catalogs print it.
    expect(html).toContain(`Линза № ${lens.body.id}`);
    expect(html).toContain('<li>Sph от: -16.00</li>');
    expect(html).toContain('<li>Себестоимость, ₽: 4200.00</li>');
    expect(html).toContain('<li>Цена, ₽: 5100.50</li>');
    expect(html).toContain('<li>Индекс: 1.67</li>');
    expect(html).toContain('<li>Покрытия: Просветляющее</li>');
    expect(html).not.toMatch(/sph_min|-1600|420000/);
    // Patient update: before → after, null as a dash; dates as the pages show them.
    expect(html).toContain('<li>Дата рождения: — → 1980-05-06</li>');
    // Prescription: per-eye labels, PD in millimetres, the patient by number.
    expect(html).toContain('<li>OD (правый) Sph: -2.25</li>');
    expect(html).toContain('<li>PD даль, мм: 62.5</li>');
    expect(html).toContain(`<li>Пациент: № ${p.body.id}</li>`);
    // Lab order: states in the catalog's words, the total in rubles, frame measurements in mm.
    expect(html).toContain('<li>Статус: Черновик → Отменён</li>');
    expect(html).toContain('<li>Сумма: 10201.00 ₽</li>');
    expect(html).toContain('<li>Ширина линзы оправы (A), мм: 52.0</li>');
    // What users typed stays text.
    expect(html).not.toContain('<script>');
    expect(html).toContain('Audit &lt;script&gt;alert(1)&lt;/script&gt;');
    expect(html).toContain('&lt;script&gt;x()&lt;/script&gt;');

    const api = await admin.call('GET', `/api/v1/audit?entity=lens&entity_id=${lens.body.id}`);
    expect(api.body.items[0].changes).toMatchObject({ sph_min: [null, -1600], cost: [null, 420000], refractive_index: [null, 1670] });
  });
});
