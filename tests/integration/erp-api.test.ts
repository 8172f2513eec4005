// The ERP API over real HTTP: authentication and roles, problem+json for every error, bad
// input changes nothing, pages escape what users typed, and the audit trail says who changed
// which patient field.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startErpServer, type Api, type ErpServer } from '../support/erp-http.js';

describe('ERP API: auth, roles, problems, audit', () => {
  let srv: ErpServer;
  let admin: Api;
  let optician: Api;
  beforeAll(async () => {
    srv = await startErpServer({ fleetProvider: () => [{ box_id: 'box-<b>1</b>', store_id: 'msk-01', status: 'online', last_seen: '2026-11-25T10:00:00Z', buffer_pending: 3 }] });
    admin = await srv.admin();
    optician = await srv.userApi('optician');
  });
  afterAll(async () => srv.close());

  it('401 without or with a bad token, 401 for wrong credentials, 403 for a role without the right', async () => {
    const anon = await fetch(`${srv.url}/api/v1/patients`);
    expect(anon.status).toBe(401);
    expect(anon.headers.get('content-type')).toContain('application/problem+json');
    expect(anon.headers.get('www-authenticate')).toBe('Bearer');
    expect((await fetch(`${srv.url}/api/v1/patients`, { headers: { authorization: 'Bearer nope' } })).status).toBe(401);
    await expect(srv.login('admin', 'wrong-password')).rejects.toThrow(/401/);
    const r = await optician.call('GET', '/api/v1/audit');
    expect(r.status).toBe(403);
    expect(r.body).toMatchObject({ status: 403, title: 'Forbidden' });
    expect((await optician.call('POST', '/api/v1/users', { username: 'x', password: 'longenough', role: 'admin' })).status).toBe(403);
  });

  it('422 names every bad field with its allowed range and stores nothing; 400 for malformed JSON; 404 problems', async () => {
    const bad = await optician.call('POST', '/api/v1/patients', { last_name: '', first_name: 'A', consent_at: '2026-13-01', phone: '12' });
    expect(bad.status).toBe(422);
    expect(bad.type).toContain('application/problem+json');
    expect(bad.body.errors.map((e: { field: string }) => e.field).sort()).toEqual(['consent_at', 'last_name', 'phone']);
    expect((await optician.call('GET', '/api/v1/patients')).body.total).toBe(0);
    const p = await optician.call('POST', '/api/v1/patients', { last_name: 'Орлова', first_name: 'Анна', consent_at: '2026-11-20', birth_date: '1990-01-01' });
    const rx = await optician.call('POST', `/api/v1/patients/${p.body.id}/prescriptions`, { rx_date: '2026-11-20', prescriber: 'x', od_sph: '-1.00', od_cyl: '-0.50', od_axis: '190', os_sph: '-21', pd_distance: '63' });
    expect(rx.status).toBe(422);
    expect(rx.body.errors).toEqual(expect.arrayContaining([
      expect.objectContaining({ field: 'od_axis', message: expect.stringContaining('1 and 180') }),
      expect.objectContaining({ field: 'os_sph', message: expect.stringContaining('-20.00 and +20.00') }),
    ]));
    const unknown = await optician.call('POST', '/api/v1/patients', { last_name: 'Орлова', first_name: 'Анна', consent_at: '2026-11-20', passport: '4510 123456' });
    expect(unknown.status).toBe(422);
    expect(unknown.body.errors).toEqual([expect.objectContaining({ field: 'passport', message: 'unknown field' })]);
    const garbage = await optician.call('POST', '/api/v1/patients', '{"last_name": ', { 'content-type': 'application/json' });
    expect(garbage.status).toBe(400);
    expect(garbage.type).toContain('application/problem+json');
    expect((await optician.call('GET', '/api/v1/patients/999')).status).toBe(404);
    expect((await optician.call('GET', '/api/v1/patients/abc')).status).toBe(404);
    expect((await optician.call('GET', '/api/v1/nothing-here')).body).toMatchObject({ status: 404 });
  });

  it('an illegal order transition is 409 with the allowed transitions; cancelling is for managers', async () => {
    const p = await optician.call('POST', '/api/v1/patients', { last_name: 'Лебедев', first_name: 'Олег', consent_at: '2026-11-20' });
    const rx = await optician.call('POST', `/api/v1/patients/${p.body.id}/prescriptions`, { rx_date: '2026-11-20', prescriber: 'x', od_sph: '-1.00', os_sph: '-1.25', pd_distance: '64' });
    const lens = (await optician.call('GET', '/api/v1/lenses?lens_type=single_vision')).body.items[0];
    const o = await optician.call('POST', '/api/v1/lab-orders', { prescription_id: rx.body.prescription.id, lens_od_id: lens.id, lens_os_id: lens.id });
    const r = await optician.call('POST', `/api/v1/lab-orders/${o.body.id}/transitions`, { to: 'delivered' });
    expect(r.status).toBe(409);
    expect(r.body).toMatchObject({ current_state: 'draft', allowed_transitions: ['confirmed', 'cancelled'] });
    expect((await optician.call('POST', `/api/v1/lab-orders/${o.body.id}/transitions`, { to: 'cancelled', reason: 'x' })).status).toBe(403);
    const c = await admin.call('POST', `/api/v1/lab-orders/${o.body.id}/transitions`, { to: 'cancelled', reason: 'дубль' });
    expect(c.body.state).toBe('cancelled');
    const dcs = await optician.call('GET', `/api/v1/lab-orders/${o.body.id}/dcs`);
    expect(dcs.type).toContain('text/plain');
    expect(dcs.body).toContain('SPH=-1.00;-1.25\r\n');
  });

  it('search and paging over patients, Cyrillic case-insensitive', async () => {
    for (let i = 0; i < 23; i += 1) await optician.call('POST', '/api/v1/patients', { last_name: `Ёлкина${i}`, first_name: 'Вера', consent_at: '2026-11-20' });
    const p1 = await optician.call('GET', `/api/v1/patients?q=${encodeURIComponent('елкина')}&per_page=10`);
    expect(p1.body).toMatchObject({ total: 23, pages: 3, per_page: 10 });
    const p3 = await optician.call('GET', `/api/v1/patients?q=${encodeURIComponent('ЕЛКИНА')}&per_page=10&page=3`);
    expect(p3.body.items).toHaveLength(3);
  });

  it('the audit trail records who changed which patient field, readable by admins', async () => {
    const p = await optician.call('POST', '/api/v1/patients', { last_name: 'Волков', first_name: 'Иван', consent_at: '2026-11-20', phone: '+79160000000' });
    await optician.call('PUT', `/api/v1/patients/${p.body.id}`, { last_name: 'Волков', first_name: 'Иван', consent_at: '2026-11-20', phone: '+79161111111' });
    const a = await admin.call('GET', `/api/v1/audit?entity=patient&entity_id=${p.body.id}`);
    expect(a.body.items[0]).toMatchObject({ action: 'update', username: expect.stringMatching(/^optician/), changes: { phone: ['+79160000000', '+79161111111'] } });
    expect(a.body.items[1]).toMatchObject({ action: 'create' });
  });

  it('pages: redirect to sign-in, escape user input, show the fleet slot', async () => {
    const anon = await fetch(`${srv.url}/patients`, { redirect: 'manual' });
    expect(anon.status).toBe(302);
    expect(anon.headers.get('location')).toBe('/login?next=%2Fpatients');
    expect(anon.headers.get('content-security-policy')).toContain("default-src 'self'");
    const p = await optician.call('POST', '/api/v1/patients', { last_name: '<script>alert(1)</script>', first_name: 'X"\'&', consent_at: '2026-11-20' });
    const html = await (await fetch(`${srv.url}/patients/${p.body.id}`, { headers: { authorization: `Bearer ${optician.token}` } })).text();
    expect(html).not.toContain('<script>alert(1)</script>');
    expect(html).toContain('&lt;script&gt;alert(1)&lt;/script&gt;');
    expect(html).toContain('X&quot;&#39;&amp;');
    const fleet = await (await fetch(`${srv.url}/fleet`, { headers: { authorization: `Bearer ${admin.token}` } })).text();
    expect(fleet).toContain('box-&lt;b&gt;1&lt;/b&gt;');
    expect(fleet).toContain('msk-01');
    const forbidden = await fetch(`${srv.url}/audit`, { headers: { authorization: `Bearer ${optician.token}` } });
    expect(forbidden.status).toBe(403);
  });

  it('every page renders for an admin (no template errors), forms re-render with 422', async () => {
    const auth = { authorization: `Bearer ${admin.token}` };
    const p = await admin.call('POST', '/api/v1/patients', { last_name: 'Фомин', first_name: 'Ян', consent_at: '2026-11-20' });
    const rx = await admin.call('POST', `/api/v1/patients/${p.body.id}/prescriptions`, { rx_date: '2026-11-20', prescriber: 'x', od_sph: '+1.00', od_cyl: '-0.50', od_axis: '45', os_sph: '+1.25', pd_distance: '62', od_prism: '1', od_prism_base: 'out' });
    const lens = (await admin.call('GET', '/api/v1/lenses?lens_type=single_vision')).body.items[0];
    const o = await admin.call('POST', '/api/v1/lab-orders', { prescription_id: rx.body.prescription.id, lens_od_id: lens.id, lens_os_id: lens.id });
    const paths = ['/login', '/patients', '/patients/new', `/patients/${p.body.id}`, `/patients/${p.body.id}/edit`, `/patients/${p.body.id}/prescriptions/new`,
      '/orders', '/orders?state=draft&q=LO', `/orders/new?prescription_id=${rx.body.prescription.id}`, `/orders/${o.body.id}`, `/orders/${o.body.id}/dcs`,
      '/lenses', '/lenses?lens_type=progressive', '/lenses/new', '/products', '/products?kind=frame', '/import', '/import/jobs', '/reports', '/fleet', '/audit'];
    for (const path of paths) {
      const res = await fetch(`${srv.url}${path}`, { headers: auth });
      expect(`${path} ${res.status}`).toBe(`${path} 200`);
    }
    const form = await fetch(`${srv.url}/lenses`, { method: 'POST', headers: { ...auth, 'content-type': 'application/x-www-form-urlencoded' }, body: 'name=&lens_type=progressive&refractive_index=2.1&coatings=ar&coatings=gold' });
    expect(form.status).toBe(422);
    const html = await form.text();
    expect(html).toContain('Допустимо от 1.500 до 1.900');
    expect(html).toContain('Обязательное поле');
    expect((await fetch(`${srv.url}/orders/99999`, { headers: auth })).status).toBe(404);
    expect((await fetch(`${srv.url}/import/profiles/new`, { headers: auth })).status).toBe(200);
    const prof = (body: string) => fetch(`${srv.url}/import/profiles`, { method: 'POST', redirect: 'manual', headers: { ...auth, 'content-type': 'application/x-www-form-urlencoded' }, body });
    const badProfile = await prof('name=P1&supplier=S&format=csv&encoding=utf-8&delimiter=%3B&match_key=barcode&default_kind=frame&mapping.name=Name');
    expect(badProfile.status).toBe(422);
    const badHtml = await badProfile.text();
    expect(badHtml).toContain('data-field="mapping.price"');
    expect(badHtml).toContain('data-field="mapping.barcode"');
    const okProfile = await prof('name=P1&supplier=S&format=csv&encoding=utf-8&delimiter=%3B&match_key=barcode&default_kind=frame&decimal_comma=true&mapping.name=Name&mapping.price=Price&mapping.barcode=EAN');
    expect(okProfile.status).toBe(302);
    const created = (await admin.call('GET', '/api/v1/import/profiles')).body.items.find((x: { name: string }) => x.name === 'P1');
    expect(created).toMatchObject({ decimal_comma: true, match_key: 'barcode', mapping: { name: 'Name', price: 'Price', barcode: 'EAN' } });
  });
});
