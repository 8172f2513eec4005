// Correcting the catalog: PUT /api/v1/lenses/{id} and /products/{id} validate like create,
// audit only the changed fields, answer 404/403/422 as problem+json, refuse a taken SKU; the
// edit pages open prefilled, save, redirect and show field errors; a lab order keeps the total
// it was created with when its lens or frame is repriced; the audit page shows the updates.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startErpServer, type Api, type ErpServer } from '../support/erp-http.js';

const LENS = {
  name: 'Edit SV 1.60', lens_type: 'single_vision', refractive_index: '1.60', material: 'MR-8', coatings: ['ar', 'hard'],
  diameter_mm: '70', sph_min: '-8.00', sph_max: '+6.00', cyl_min: '-4.00', supplier: 'LensVision', supplier_code: 'LV-160', cost: '1100.00', price: '3200.00',
};
const FRAME = { kind: 'frame', sku: 'ED-FR-1', barcode: '4600000000015', name: 'Оправа Edit', brand: 'B', supplier: 'S', supplier_code: 'S-1', cost: '1000', price: '2490.00' };

const fields = (r: { body: { errors?: { field: string }[] } }) => (r.body.errors ?? []).map((e) => e.field).sort();

describe('ERP catalog edit: API', () => {
  let srv: ErpServer;
  let admin: Api;
  let manager: Api;
  let optician: Api;
  beforeAll(async () => {
    srv = await startErpServer();
    admin = await srv.admin();
    manager = await srv.userApi('manager');
    optician = await srv.userApi('optician');
  });
  afterAll(async () => srv.close());

  const audit = async (entity: string, id: number) => (await admin.call('GET', `/api/v1/audit?entity=${entity}&entity_id=${id}`)).body.items;

  it('PUT /lenses/{id} replaces the fields, answers the lens, audits only what changed', async () => {
    const created = await manager.call('POST', '/api/v1/lenses', LENS);
    expect(created.status).toBe(201);
    const id = created.body.id as number;
    const r = await manager.call('PUT', `/api/v1/lenses/${id}`, { ...LENS, price: '3450,50', sph_min: '-10.00', coatings: ['hard', 'ar', 'uv'] });
    expect(r.status).toBe(200);
    expect(r.body).toMatchObject({ id, name: LENS.name, price: 345050, sph_min: -1000, cost: 110000, coatings: ['ar', 'hard', 'uv'] });
    expect((await manager.call('GET', `/api/v1/lenses/${id}`)).body).toEqual(r.body);
    const [update, create] = await audit('lens', id);
    expect(create).toMatchObject({ action: 'create' });
    expect(update).toMatchObject({ action: 'update', username: expect.stringMatching(/^manager/) });
    expect(update.changes).toEqual({ price: [320000, 345050], sph_min: [-800, -1000], coatings: [['ar', 'hard'], ['ar', 'hard', 'uv']] });
    // The same body again (coatings in another order) changes nothing and writes no audit row.
    expect((await manager.call('PUT', `/api/v1/lenses/${id}`, { ...LENS, price: '3450.50', sph_min: '-10', coatings: ['uv', 'hard', 'ar'] })).status).toBe(200);
    expect(await audit('lens', id)).toHaveLength(2);
  });

  it('PUT /lenses/{id}: 422 names the bad and unknown fields like create and stores nothing; 404; 403 for an optician', async () => {
    const id = (await manager.call('POST', '/api/v1/lenses', { ...LENS, name: 'Edit 422' })).body.id as number;
    const before = (await manager.call('GET', `/api/v1/lenses/${id}`)).body;
    const bad = { ...LENS, name: '', refractive_index: '2.10', sph_min: '+7.00', lens_type: 'progressive', price: '12.345', colour: 'blue' };
    const onUpdate = await manager.call('PUT', `/api/v1/lenses/${id}`, bad);
    const onCreate = await manager.call('POST', '/api/v1/lenses', bad);
    expect(onUpdate.status).toBe(422);
    expect(onUpdate.type).toContain('application/problem+json');
    expect(fields(onUpdate)).toEqual(['add_max', 'add_min', 'colour', 'name', 'price', 'refractive_index', 'sph_max']);
    expect(onUpdate.body.errors).toEqual(onCreate.body.errors);
    expect(onUpdate.body.errors).toContainEqual(expect.objectContaining({ field: 'colour', code: 'unknown_field' }));
    expect((await manager.call('GET', `/api/v1/lenses/${id}`)).body).toEqual(before);
    expect(await audit('lens', id)).toHaveLength(1);

    const missing = await manager.call('PUT', '/api/v1/lenses/99999', LENS);
    expect(missing.status).toBe(404);
    expect(missing.type).toContain('application/problem+json');
    expect((await manager.call('PUT', '/api/v1/lenses/abc', LENS)).status).toBe(404);

    const forbidden = await optician.call('PUT', `/api/v1/lenses/${id}`, { ...LENS, price: '1.00' });
    expect(forbidden.status).toBe(403);
    expect(forbidden.body).toMatchObject({ status: 403, title: 'Forbidden' });
    expect((await optician.call('PUT', '/api/v1/lenses/99999', LENS)).status).toBe(403);
    expect((await manager.call('GET', `/api/v1/lenses/${id}`)).body.price).toBe(320000);
  });

  it('PUT /products/{id}: changes, audit, 422 like create, a taken SKU is a field error, 404, 403', async () => {
    const p = await manager.call('POST', '/api/v1/products', FRAME);
    expect(p.status).toBe(201);
    const id = p.body.id as number;
    const other = await manager.call('POST', '/api/v1/products', { ...FRAME, sku: 'ED-FR-2', barcode: '4600000000022' });
    expect(other.status).toBe(201);

    const r = await manager.call('PUT', `/api/v1/products/${id}`, { ...FRAME, name: 'Оправа Edit 2', price: '2590', brand: '' });
    expect(r.status).toBe(200);
    expect(r.body).toMatchObject({ id, sku: 'ED-FR-1', name: 'Оправа Edit 2', price: 259000, brand: null, barcode: '4600000000015' });
    expect((await audit('product', id))[0]).toMatchObject({
      action: 'update', changes: { name: ['Оправа Edit', 'Оправа Edit 2'], price: [249000, 259000], brand: ['B', null] },
    });
    expect(Object.keys((await audit('product', id))[0].changes).sort()).toEqual(['brand', 'name', 'price']);

    // Another product's SKU: the same `unique` error as create gives, nothing stored.
    const taken = await manager.call('PUT', `/api/v1/products/${id}`, { ...FRAME, sku: 'ED-FR-2' });
    const takenOnCreate = await manager.call('POST', '/api/v1/products', { ...FRAME, sku: 'ED-FR-2' });
    expect(taken.status).toBe(422);
    expect(taken.body.errors).toEqual([expect.objectContaining({ field: 'sku', code: 'unique' })]);
    expect(taken.body.errors).toEqual(takenOnCreate.body.errors);
    // Its own SKU is not a collision, and a new free one is taken.
    expect((await manager.call('PUT', `/api/v1/products/${id}`, { ...FRAME, sku: 'ED-FR-1b' })).body.sku).toBe('ED-FR-1b');

    const bad = await manager.call('PUT', `/api/v1/products/${id}`, { ...FRAME, kind: 'hat', barcode: '12ab', price: 'x', size: 'L' });
    expect(bad.status).toBe(422);
    expect(fields(bad)).toEqual(['barcode', 'kind', 'price', 'size']);
    expect((await manager.call('GET', `/api/v1/products/${id}`)).body).toMatchObject({ sku: 'ED-FR-1b', kind: 'frame', price: 249000 });

    expect((await manager.call('PUT', '/api/v1/products/99999', FRAME)).status).toBe(404);
    expect((await optician.call('PUT', `/api/v1/products/${id}`, { ...FRAME, price: '1' })).status).toBe(403);
  });

  it('an existing lab order keeps its total when its lens or frame is repriced; a new order takes the new price', async () => {
    const lens = (await manager.call('POST', '/api/v1/lenses', { ...LENS, name: 'Order lens', price: '3000.00' })).body;
    const frame = (await manager.call('POST', '/api/v1/products', { ...FRAME, sku: 'ED-ORD-FR', price: '2000.00' })).body;
    const pat = await optician.call('POST', '/api/v1/patients', { last_name: 'Сидоров', first_name: 'Пётр', consent_at: '2026-11-20' });
    const rx = await optician.call('POST', `/api/v1/patients/${pat.body.id}/prescriptions`, { rx_date: '2026-11-20', prescriber: 'x', od_sph: '-1.00', os_sph: '-1.25', pd_distance: '64' });
    const order = { prescription_id: rx.body.prescription.id, lens_od_id: lens.id, lens_os_id: lens.id, frame_id: frame.id };
    const o = await optician.call('POST', '/api/v1/lab-orders', order);
    expect(o.body.total).toBe(3000_00 * 2 + 2000_00);

    expect((await manager.call('PUT', `/api/v1/lenses/${lens.id}`, { ...LENS, name: 'Order lens', price: '3500.00' })).status).toBe(200);
    expect((await manager.call('PUT', `/api/v1/products/${frame.id}`, { ...FRAME, sku: 'ED-ORD-FR', price: '2200.00' })).status).toBe(200);
    expect((await optician.call('GET', `/api/v1/lab-orders/${o.body.id}`)).body.total).toBe(800000);
    const confirmed = await optician.call('POST', `/api/v1/lab-orders/${o.body.id}/transitions`, { to: 'confirmed' });
    expect(confirmed.body).toMatchObject({ state: 'confirmed', total: 800000 });
    expect((await optician.call('POST', '/api/v1/lab-orders', order)).body.total).toBe(3500_00 * 2 + 2200_00);
  });

  it('the audit page shows lens and product updates with labels and units, before → after', async () => {
    const lens = (await manager.call('POST', '/api/v1/lenses', { ...LENS, name: 'Audit edit', price: '5100.50' })).body;
    await manager.call('PUT', `/api/v1/lenses/${lens.id}`, { ...LENS, name: 'Audit edit', price: '5200.00', cyl_min: '-6.00', refractive_index: '1.67' });
    const p = (await manager.call('POST', '/api/v1/products', { ...FRAME, sku: 'ED-AUD' })).body;
    await manager.call('PUT', `/api/v1/products/${p.id}`, { ...FRAME, sku: 'ED-AUD', price: '2590.00', supplier_code: '' });
    const html = await (await fetch(`${srv.url}/audit?per_page=100`, { headers: { authorization: `Bearer ${admin.token}` } })).text();
    expect(html).toContain('<li>Цена, ₽: 5100.50 → 5200.00</li>');
    expect(html).toContain('<li>Cyl до (минус): -4.00 → -6.00</li>');
    expect(html).toContain('<li>Индекс: 1.60 → 1.67</li>');
    expect(html).toContain('<li>Цена: 2490.00 ₽ → 2590.00 ₽</li>');
    expect(html).toContain('<li>Код поставщика: S-1 → —</li>');
    expect(html).not.toMatch(/supplier_code|cyl_min|520000/);
  });
});

describe('ERP catalog edit: pages', () => {
  let srv: ErpServer;
  let manager: Api;
  let optician: Api;
  let cookie: string;
  beforeAll(async () => {
    srv = await startErpServer();
    manager = await srv.userApi('manager');
    optician = await srv.userApi('optician');
    const login = await fetch(`${srv.url}/login`, {
      method: 'POST', redirect: 'manual', headers: { 'content-type': 'application/x-www-form-urlencoded', origin: srv.url },
      body: `username=${encodeURIComponent(srv.credentials.username)}&password=${encodeURIComponent(srv.credentials.password)}`,
    });
    expect(login.status).toBe(302);
    cookie = (login.headers.get('set-cookie') ?? '').split(';')[0] as string;
  });
  afterAll(async () => srv.close());

  const page = (path: string, api: Api = manager) => fetch(`${srv.url}${path}`, { headers: { authorization: `Bearer ${api.token}` } });
  /** A form post the way the browser sends it: the session cookie and our own Origin. */
  const post = (path: string, form: Record<string, string | string[]>, origin = srv.url) => {
    const body = new URLSearchParams();
    for (const [k, v] of Object.entries(form)) for (const x of Array.isArray(v) ? v : [v]) body.append(k, x);
    return fetch(`${srv.url}${path}`, { method: 'POST', redirect: 'manual', headers: { cookie, origin, 'content-type': 'application/x-www-form-urlencoded' }, body: body.toString() });
  };
  const value = (html: string, name: string) => new RegExp(`name="${name}" id="f-${name}" value="([^"]*)"`).exec(html)?.[1];

  it('the lens list links to an edit form prefilled as a person types; saving redirects and stores the change', async () => {
    const lens = (await manager.call('POST', '/api/v1/lenses', { ...LENS, lens_type: 'progressive', add_min: '0.75', add_max: '3.50', coatings: ['ar', 'uv'] })).body;
    const list = await (await page('/lenses')).text();
    expect(list).toContain(`href="/lenses/${lens.id}/edit"`);
    expect(await (await page('/lenses', optician)).text()).not.toContain('/edit"');

    const form = await page(`/lenses/${lens.id}/edit`);
    expect(form.status).toBe(200);
    const html = await form.text();
    expect(html).toContain('Изменить линзу');
    expect(html).toContain(`action="/lenses/${lens.id}"`);
    expect(Object.fromEntries(['name', 'refractive_index', 'diameter_mm', 'sph_min', 'sph_max', 'cyl_min', 'add_min', 'add_max', 'supplier_code', 'cost', 'price'].map((n) => [n, value(html, n)]))).toEqual({
      name: 'Edit SV 1.60', refractive_index: '1.60', diameter_mm: '70', sph_min: '-8.00', sph_max: '+6.00', cyl_min: '-4.00',
      add_min: '+0.75', add_max: '+3.50', supplier_code: 'LV-160', cost: '1100.00', price: '3200.00',
    });
    expect(html).toMatch(/<option value="progressive" selected>/);
    expect(html).toMatch(/value="ar" checked/);
    expect(html).toMatch(/value="uv" checked/);
    expect(html).not.toMatch(/value="hard" checked/);

    const form2 = { ...LENS, lens_type: 'progressive', add_min: '+0.75', add_max: '+3.50', coatings: ['ar', 'uv'], price: '3350,00', name: 'Edit SV 1.60 new' };
    const saved = await post(`/lenses/${lens.id}`, form2);
    expect(saved.status).toBe(302);
    expect(saved.headers.get('location')).toBe(`/lenses?q=${encodeURIComponent('Edit SV 1.60 new')}`);
    expect((await manager.call('GET', `/api/v1/lenses/${lens.id}`)).body).toMatchObject({ name: 'Edit SV 1.60 new', price: 335000, add_min: 75, coatings: ['ar', 'uv'] });
  });

  it('a bad lens form comes back 422 with the messages under the fields and what was typed; nothing stored', async () => {
    const lens = (await manager.call('POST', '/api/v1/lenses', { ...LENS, name: 'Edit 422 page' })).body;
    const res = await post(`/lenses/${lens.id}`, { ...LENS, name: 'Typed name', refractive_index: '2.1', sph_min: '', coatings: ['hard', 'gold'] });
    expect(res.status).toBe(422);
    const html = await res.text();
    expect(html).toContain('Изменить линзу');
    expect(html).toContain(`action="/lenses/${lens.id}"`);
    expect(html).toContain('data-field="refractive_index"');
    expect(html).toContain('Допустимо от 1.500 до 1.900');
    expect(html).toContain('data-field="sph_min"');
    expect(html).toContain('<fieldset class="field invalid"><legend>Покрытия</legend>');
    expect(value(html, 'name')).toBe('Typed name');
    expect(value(html, 'refractive_index')).toBe('2.1');
    expect(html).toMatch(/value="hard" checked/);
    expect((await manager.call('GET', `/api/v1/lenses/${lens.id}`)).body.name).toBe('Edit 422 page');
  });

  it('the edit form saved unchanged changes nothing; unknown ids are 404; opticians get 403; another origin is refused', async () => {
    const lens = (await manager.call('POST', '/api/v1/lenses', { ...LENS, name: 'Round trip' })).body;
    const html = await (await page(`/lenses/${lens.id}/edit`)).text();
    const names = ['name', 'refractive_index', 'material', 'diameter_mm', 'sph_min', 'sph_max', 'cyl_min', 'add_min', 'add_max', 'supplier', 'supplier_code', 'cost', 'price'];
    const typed = Object.fromEntries(names.map((n) => [n, value(html, n) ?? '']));
    expect((await post(`/lenses/${lens.id}`, { ...typed, lens_type: 'single_vision', coatings: ['ar', 'hard'] })).status).toBe(302);
    const admin = await srv.admin();
    expect((await admin.call('GET', `/api/v1/audit?entity=lens&entity_id=${lens.id}`)).body.items.map((e: { action: string }) => e.action)).toEqual(['create']);

    expect((await page('/lenses/99999/edit')).status).toBe(404);
    expect((await post('/lenses/99999', typed)).status).toBe(404);
    expect((await page(`/lenses/${lens.id}/edit`, optician)).status).toBe(403);
    const evil = await post(`/lenses/${lens.id}`, { ...typed, lens_type: 'single_vision', price: '1.00' }, 'https://evil.example');
    expect(evil.status).toBe(403);
    expect(await evil.text()).toContain('evil.example');
    expect((await manager.call('GET', `/api/v1/lenses/${lens.id}`)).body.price).toBe(320000);
  });

  it('products: edit link, prefilled form, save and redirect to the row, SKU collision shown under the field', async () => {
    const p = (await manager.call('POST', '/api/v1/products', FRAME)).body;
    await manager.call('POST', '/api/v1/products', { ...FRAME, sku: 'ED-FR-2', barcode: null });
    expect(await (await page('/products')).text()).toContain(`href="/products/${p.id}/edit"`);
    const html = await (await page(`/products/${p.id}/edit`)).text();
    expect(html).toContain('Изменить товар');
    expect(html).toMatch(/<option value="frame" selected>/);
    expect(Object.fromEntries(['sku', 'barcode', 'name', 'brand', 'supplier', 'supplier_code', 'cost', 'price'].map((n) => [n, value(html, n)]))).toEqual({
      sku: 'ED-FR-1', barcode: '4600000000015', name: 'Оправа Edit', brand: 'B', supplier: 'S', supplier_code: 'S-1', cost: '1000.00', price: '2490.00',
    });

    const taken = await post(`/products/${p.id}`, { ...FRAME, sku: 'ED-FR-2' });
    expect(taken.status).toBe(422);
    const takenHtml = await taken.text();
    expect(takenHtml).toContain('data-field="sku"');
    expect(takenHtml).toContain('Уже используется');

    const saved = await post(`/products/${p.id}`, { ...FRAME, price: '2590,00', name: 'Оправа Edit 3' });
    expect(saved.status).toBe(302);
    expect(saved.headers.get('location')).toBe('/products?q=ED-FR-1');
    expect((await manager.call('GET', `/api/v1/products/${p.id}`)).body).toMatchObject({ name: 'Оправа Edit 3', price: 259000 });
    expect((await page('/products/99999/edit')).status).toBe(404);
    expect((await page(`/products/${p.id}/edit`, optician)).status).toBe(403);
  });
});
