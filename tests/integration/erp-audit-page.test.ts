// The audit page (/audit) over real HTTP: each changed field with its Russian label and in the
// unit a user types (diopters, rubles, millimetres, catalog words), user text still escaped,
// while /api/v1/audit keeps the stored integers for machines. Records with a page are links
// (patients with their name); ?entity=&entity_id= narrows the list, a bad value is a 422.
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
    expect(html).toContain(`<li>Пациент: <a href="/patients/${p.body.id}">№ ${p.body.id}</a> (Зуева Ольга)</li>`);
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

  const page = async (query: string) => {
    const res = await fetch(`${srv.url}/audit${query}`, { headers: { authorization: `Bearer ${admin.token}` } });
    return { status: res.status, html: await res.text() };
  };
  /** The record cell of every listed entry, as text with its link if any. */
  const records = (html: string) => [...html.matchAll(/<td>(?:<a href="([^"]*)">)?([^<]+ № \d+)(?:<\/a>)?(?: \(([^)]*)\))?<\/td>/g)]
    .map(([, href, text, name]) => ({ text, href, name }));
  const LENS = {
    lens_type: 'single_vision', refractive_index: '1.60', material: 'MR-8', coatings: [], diameter_mm: 70,
    sph_min: '-8.00', sph_max: '+6.00', cyl_min: '-4.00', supplier: 'LensVision', cost: '1000.00', price: '2000.00',
  };
  /** A lens created at 2000.00 and repriced to 2100.00: two audit entries. */
  const lensWithUpdate = async (name: string) => {
    const lens = (await admin.call('POST', '/api/v1/lenses', { ...LENS, name })).body;
    expect((await admin.call('PUT', `/api/v1/lenses/${lens.id}`, { ...LENS, name, price: '2100.00' })).status).toBe(200);
    return lens as { id: number };
  };
  const pagerNext = (html: string) => /<a href="([^"]*)">Вперёд →<\/a>/.exec(html)?.[1]?.replace(/&amp;/g, '&');

  it('links the record and the ids in its changes to their pages, names patients, keeps ids without a page as text', async () => {
    const lens = await lensWithUpdate('Link SV');
    const frame = (await admin.call('POST', '/api/v1/products', { kind: 'frame', sku: 'AUD-LINK-1', name: 'Оправа Link', supplier: 'S', cost: '900', price: '1900.00' })).body;
    expect(frame.id).toBeGreaterThan(0);
    const p = (await optician.call('POST', '/api/v1/patients', { last_name: '<i>Иванова</i>', first_name: 'Анна', consent_at: '2026-11-20' })).body;
    const rxRes = await optician.call('POST', `/api/v1/patients/${p.id}/prescriptions`, { rx_date: '2026-11-20', prescriber: 'x', od_sph: '-1.00', os_sph: '-1.00', pd_distance: '62' });
    expect(rxRes.status, JSON.stringify(rxRes.body)).toBe(201);
    const rx = rxRes.body.prescription;
    const o = await optician.call('POST', '/api/v1/lab-orders', { prescription_id: rx.id, lens_od_id: lens.id, lens_os_id: lens.id, frame_id: frame.id });
    expect(o.status).toBe(201);

    const { status, html } = await page('?per_page=100');
    expect(status).toBe(200);
    const rec = records(html);
    // The lens update and the lab order: each its record's page.
    expect(html).toContain(`<a href="/lenses/${lens.id}/edit">Линза № ${lens.id}</a>`);
    expect(html).toContain('<li>Цена, ₽: 2000.00 → 2100.00</li>');
    expect(rec).toContainEqual({ text: `Заказ в мастерскую № ${o.body.id}`, href: `/orders/${o.body.id}`, name: undefined });
    expect(rec).toContainEqual({ text: `Товар № ${frame.id}`, href: `/products/${frame.id}/edit`, name: undefined });
    // Ids inside the order's changes: lenses and frame link, the prescription has no page of its own.
    expect(html).toContain(`<li>Линза OD: <a href="/lenses/${lens.id}/edit">№ ${lens.id}</a></li>`);
    expect(html).toContain(`<li>Линза OS: <a href="/lenses/${lens.id}/edit">№ ${lens.id}</a></li>`);
    expect(html).toContain(`<li>Оправа: <a href="/products/${frame.id}/edit">№ ${frame.id}</a></li>`);
    expect(html).toContain(`<li>Рецепт: № ${rx.id}</li>`);
    expect(rec).toContainEqual({ text: `Рецепт № ${rx.id}`, href: undefined, name: undefined });
    // A patient is linked and named (escaped: what was typed stays text).
    expect(html).toContain(`<a href="/patients/${p.id}">Пациент № ${p.id}</a> (&lt;i&gt;Иванова&lt;/i&gt; Анна)`);
    expect(html).toContain(`<li>Пациент: <a href="/patients/${p.id}">№ ${p.id}</a> (&lt;i&gt;Иванова&lt;/i&gt; Анна)</li>`);
    expect(html).not.toContain('<i>');
    // Users and profiles have no page: plain text.
    expect(rec.filter((r) => /^Пользователь/.test(r.text ?? ''))).not.toEqual([]);
    expect(rec.filter((r) => /^Пользователь/.test(r.text ?? '')).every((r) => r.href === undefined)).toBe(true);
    // The links lead somewhere.
    for (const href of [`/lenses/${lens.id}/edit`, `/orders/${o.body.id}`, `/products/${frame.id}/edit`, `/patients/${p.id}`]) {
      expect((await fetch(`${srv.url}${href}`, { headers: { authorization: `Bearer ${admin.token}` } })).status, href).toBe(200);
    }
    // And back: a patient's and an order's page link to their own history, for those who may read it.
    const pageAs = async (who: Api, path: string) => (await fetch(`${srv.url}${path}`, { headers: { authorization: `Bearer ${who.token}` } })).text();
    expect(await pageAs(admin, `/patients/${p.id}`)).toContain(`href="/audit?entity=patient&amp;entity_id=${p.id}">История изменений</a>`);
    expect(await pageAs(admin, `/orders/${o.body.id}`)).toContain(`href="/audit?entity=lab_order&amp;entity_id=${o.body.id}">История изменений</a>`);
    expect(await pageAs(optician, `/patients/${p.id}`)).not.toContain('История изменений');
    const history = records((await page(`?entity=patient&entity_id=${p.id}`)).html);
    expect(history.length).toBeGreaterThan(0);
    expect(history.every((r) => r.href === `/patients/${p.id}`)).toBe(true);
  });

  it('filters by entity and record, and the pager keeps the filter', async () => {
    await lensWithUpdate('Filter SV');
    await admin.call('POST', '/api/v1/patients', { last_name: 'Фильтрова', first_name: 'Ия', consent_at: '2026-11-20' });
    const lenses = (await admin.call('GET', '/api/v1/audit?entity=lens&per_page=100')).body;
    expect(lenses.total).toBeGreaterThanOrEqual(2);
    const all = await page('?per_page=100');
    expect(records(all.html).some((r) => !r.text?.startsWith('Линза'))).toBe(true);

    const first = await page('?entity=lens&per_page=1');
    expect(first.status).toBe(200);
    expect(first.html).toContain(`всего ${lenses.total}`);
    expect(first.html).toContain('<option value="lens" selected>Линза</option>');
    expect(records(first.html).map((r) => r.text)).toEqual([`Линза № ${lenses.items[0].entity_id}`]);
    const next = pagerNext(first.html);
    expect(next).toBe('?entity=lens&per_page=1&page=2');
    const second = await page(next ?? '');
    expect(records(second.html).map((r) => r.text)).toEqual([`Линза № ${lenses.items[1].entity_id}`]);
    expect(second.html).toContain('<option value="lens" selected>Линза</option>');

    // One record: its create and update, newest first.
    const id = lenses.items.find((e: { action: string }) => e.action === 'update').entity_id as string;
    const one = await page(`?entity=lens&entity_id=${id}`);
    expect(one.status).toBe(200);
    expect(records(one.html).map((r) => r.text)).toEqual([`Линза № ${id}`, `Линза № ${id}`]);
    expect(one.html).toContain(`name="entity_id" value="${id}"`);
    expect(one.html).toContain('всего 2');
    // Blank fields are no filter (the form's "Все").
    expect(records((await page('?entity=&entity_id=&per_page=100')).html)).toHaveLength(records(all.html).length);
  });

  it('answers a bad filter with 422 and says why, listing nothing, escaping what was typed', async () => {
    const cases: [string, string][] = [
      ['?entity=spaceship', 'Объект: Допустимые значения: patient, prescription, lens'],
      ['?entity=lens&entity_id=abc', '№ записи: Целое число от 1'],
      ['?entity=lens&entity_id=0', '№ записи: Целое число от 1'],
      ['?entity_id=5', 'Объект: Обязательное поле'],
      ['?entity=lens&entity=patient', 'Объект: Укажите параметр один раз'],
    ];
    for (const [q, why] of cases) {
      const { status, html } = await page(q);
      expect(status, q).toBe(422);
      expect(/<p class="alert" role="alert" id="audit-problem">([^<]*)<\/p>/.exec(html)?.[1], q).toContain(why);
      expect(records(html), q).toEqual([]);
      expect(html, q).toContain('<select name="entity"');
    }
    const evil = await page(`?entity=lens&entity_id=${encodeURIComponent('"><script>alert(1)</script>')}`);
    expect(evil.status).toBe(422);
    expect(evil.html).not.toContain('<script>');
    expect(evil.html).toContain('value="&quot;&gt;&lt;script&gt;alert(1)&lt;/script&gt;"');
    // The API is unchanged: it filters as before.
    expect((await admin.call('GET', '/api/v1/audit?entity=spaceship')).body.total).toBe(0);
  });
});
