// Bad input to the ERP over real HTTP gets a status and a message the sender can act on, and
// stores nothing: non-JSON bodies (415), invalid UTF-8 and control characters, non-text where
// text belongs, uploads sent as forms, report dates that are not dates, unknown fields on a
// transition, oversized passwords; and state-changing requests from another site's pages are
// refused while bearer-token calls and our own pages keep working.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startErpServer, type Api, type ErpServer, type Json } from '../support/erp-http.js';

const PATIENT = { last_name: 'Иванов', first_name: 'Иван', consent_at: '2026-01-01' };
const EVIL = 'https://evil.example';

describe('ERP: bad input gets an actionable error and changes nothing', () => {
  let srv: ErpServer;
  let admin: Api;
  let patients: () => number;
  beforeAll(async () => {
    srv = await startErpServer();
    admin = await srv.admin();
    patients = () => (srv.erp.services.db.prepare('SELECT COUNT(*) AS n FROM erp_patients').get() as { n: number }).n;
  });
  afterAll(async () => srv.close());

  it('a JSON body sent as text/plain, as a form or with no content type is 415 naming application/json', async () => {
    const before = patients();
    // A byte body, unlike a string, gets no Content-Type from fetch.
    const types: Record<string, string>[] = [{ 'content-type': 'text/plain' }, { 'content-type': 'application/x-www-form-urlencoded' }, {}];
    for (const headers of types) {
      const r = await fetch(`${srv.url}/api/v1/patients`, { method: 'POST', headers: { authorization: `Bearer ${admin.token}`, ...headers }, body: Buffer.from(JSON.stringify(PATIENT)) });
      expect(r.status).toBe(415);
      expect(r.headers.get('content-type')).toContain('application/problem+json');
      const detail = ((await r.json()) as Json).detail as string;
      expect(detail).toContain('Content-Type: application/json');
      expect(detail).toContain(headers['content-type'] ? `Content-Type ${headers['content-type']}` : 'no Content-Type');
    }
    expect(patients()).toBe(before);
  });

  it('invalid UTF-8 in a JSON body is 400 (not stored as U+FFFD); a key given twice is 400', async () => {
    const before = patients();
    const bytes = Buffer.concat([Buffer.from('{"last_name":"'), Buffer.from([0xc3, 0x28, 0xff]), Buffer.from('","first_name":"A","consent_at":"2026-01-01"}')]);
    const r = await admin.call('POST', '/api/v1/patients', bytes, { 'content-type': 'application/json' });
    expect(r.status).toBe(400);
    expect(r.body.detail).toMatch(/not valid UTF-8/);
    const dup = await admin.call('POST', '/api/v1/patients', '{"last_name":"A","last_name":"B","first_name":"A","consent_at":"2026-01-01"}', { 'content-type': 'application/json' });
    expect(dup.status).toBe(400);
    expect(dup.body.detail).toContain('"last_name" appears twice');
    expect(patients()).toBe(before);
  });

  it('control characters are refused in one-line fields, line breaks allowed in notes only', async () => {
    const before = patients();
    const nul = await admin.call('POST', '/api/v1/patients', { ...PATIENT, last_name: 'A\u0000\u0007B' });
    expect(nul.status).toBe(422);
    expect(nul.body.errors).toEqual([expect.objectContaining({ field: 'last_name', code: 'control_char', params: { char: 'U+0000', position: '2' } })]);
    const nl = await admin.call('POST', '/api/v1/patients', { ...PATIENT, first_name: 'Ив\nан' });
    expect(nl.body.errors).toEqual([expect.objectContaining({ field: 'first_name', code: 'control_char', params: { char: 'U+000A', position: '3' } })]);
    const surrogate = await admin.call('POST', '/api/v1/patients', '{"last_name":"A\\ud800","first_name":"A","consent_at":"2026-01-01"}', { 'content-type': 'application/json' });
    expect(surrogate.body.errors).toEqual([expect.objectContaining({ field: 'last_name', code: 'not_unicode' })]);
    expect(patients()).toBe(before);
    const notes = await admin.call('POST', '/api/v1/patients', { ...PATIENT, notes: 'строка 1\nстрока 2\tконец' });
    expect(notes.status).toBe(201);
    expect(notes.body.notes).toBe('строка 1\nстрока 2\tконец');
    expect((await admin.call('POST', '/api/v1/patients', { ...PATIENT, notes: 'a\u001bb' })).status).toBe(422);
  });

  it('a number, object or array where text belongs is "must be text", not "too long"', async () => {
    const r = await admin.call('POST', '/api/v1/patients', { ...PATIENT, last_name: 123, first_name: { a: 1 }, middle_name: ['x'] });
    expect(r.status).toBe(422);
    expect(r.body.errors.map((e: { field: string; code: string }) => `${e.field}:${e.code}`)).toEqual(['last_name:text', 'first_name:text', 'middle_name:text']);
    expect(r.body.errors[0].message).toMatch(/^must be text/);
    const form = await fetch(`${srv.url}/patients`, {
      method: 'POST', headers: { authorization: `Bearer ${admin.token}`, 'content-type': 'application/x-www-form-urlencoded' },
      body: 'last_name[]=a&last_name[]=b&first_name=A&consent_at=2026-01-01',
    });
    expect(form.status).toBe(422);
    expect(await form.text()).toContain('Ожидается текст');
  });

  it('a price list sent as a form, multipart or JSON is 415 saying how to send it; the raw body still works', async () => {
    const csv = 'code;name;price\nZ1;Frame Z;10,00\n';
    for (const type of ['application/x-www-form-urlencoded', 'multipart/form-data; boundary=x', 'application/json']) {
      const r = await admin.call('POST', '/api/v1/import/uploads?filename=f.csv', csv, { 'content-type': type });
      expect(`${type} ${r.status}`).toBe(`${type} 415`);
      expect(r.body.detail).toContain('--data-binary');
    }
    expect(srv.erp.services.db.prepare('SELECT COUNT(*) AS n FROM erp_import_uploads').get()).toEqual({ n: 0 });
    const ok = await admin.call('POST', '/api/v1/import/uploads?filename=f.csv', csv, { 'content-type': 'text/csv' });
    expect(ok.status).toBe(201);
    const job = await admin.call('POST', '/api/v1/import/jobs', { upload_id: ok.body.id, profile_id: 'abc', start: 'yes', foo: 1 });
    expect(job.status).toBe(422);
    expect(job.body.errors.map((e: { field: string }) => e.field).sort()).toEqual(['foo', 'profile_id', 'start']);
    const preview = await admin.call('GET', `/api/v1/import/uploads/${ok.body.id}/preview`);
    expect(preview.status).toBe(422);
    expect(preview.body.errors).toEqual([expect.objectContaining({ field: 'profile_id', code: 'required' })]);
  });

  it('report dates that are not dates are 422 naming the parameter, on the API and the page', async () => {
    for (const path of ['/api/v1/reports/daily?from=garbage', '/api/v1/reports/shifts?from=2026-01-01&to=2026-13-45']) {
      const r = await admin.call('GET', path);
      expect(`${path} ${r.status}`).toBe(`${path} 422`);
      expect(r.body.errors[0]).toMatchObject({ field: path.includes('garbage') ? 'from' : 'to', code: 'date' });
    }
    const twice = await admin.call('GET', '/api/v1/reports/daily?from=2026-01-01&from=2026-01-02');
    expect(twice.body.errors).toEqual([expect.objectContaining({ field: 'from', code: 'single' })]);
    const reversed = await admin.call('GET', '/api/v1/reports/daily?from=2026-02-01&to=2026-01-01');
    expect(reversed.body.errors).toEqual([expect.objectContaining({ field: 'to', code: 'date_after' })]);
    expect((await admin.call('GET', '/api/v1/reports/daily?from=2026-01-01&to=2026-01-31&store_id=msk-01')).status).toBe(200);
    const page = await fetch(`${srv.url}/reports?from=garbage`, { headers: { authorization: `Bearer ${admin.token}` } });
    expect(page.status).toBe(422);
    expect(await page.text()).toContain('id="report-problem"');
  });

  it('a lab-order transition with an unknown field is 422 and the order stays where it was', async () => {
    const p = await admin.call('POST', '/api/v1/patients', PATIENT);
    const rx = await admin.call('POST', `/api/v1/patients/${p.body.id}/prescriptions`, { rx_date: '2026-01-01', prescriber: 'x', od_sph: '-1.00', os_sph: '-1.00', pd_distance: '64' });
    const lens = (await admin.call('GET', '/api/v1/lenses?lens_type=single_vision')).body.items[0];
    const o = await admin.call('POST', '/api/v1/lab-orders', { prescription_id: rx.body.prescription.id, lens_od_id: lens.id, lens_os_id: lens.id });
    const r = await admin.call('POST', `/api/v1/lab-orders/${o.body.id}/transitions`, { to: 'confirmed', foo: 1 });
    expect(r.status).toBe(422);
    expect(r.body.errors).toEqual([expect.objectContaining({ field: 'foo', code: 'unknown_field' })]);
    expect((await admin.call('GET', `/api/v1/lab-orders/${o.body.id}`)).body.state).toBe('draft');
  });

  it('a password over 200 characters is refused as its message says; a non-text password is "must be text"', async () => {
    const huge = await admin.call('POST', '/api/v1/users', { username: 'u-huge', password: 'a'.repeat(900_000), role: 'optician' });
    expect(huge.status).toBe(422);
    expect(huge.body.errors).toEqual([expect.objectContaining({ field: 'password', code: 'range', params: expect.objectContaining({ max: '200' }) })]);
    const num = await admin.call('POST', '/api/v1/users', { username: 'u-num', password: 12345678, role: 'optician' });
    expect(num.body.errors).toEqual([expect.objectContaining({ field: 'password', code: 'text' })]);
    expect((await admin.call('GET', '/api/v1/users')).body.items.map((u: { username: string }) => u.username)).not.toContain('u-huge');
  });
});

describe('ERP: requests from another site are refused (CSRF)', () => {
  let srv: ErpServer;
  let admin: Api;
  let cookie: string;
  let patients: () => number;
  beforeAll(async () => {
    srv = await startErpServer();
    admin = await srv.admin();
    patients = () => (srv.erp.services.db.prepare('SELECT COUNT(*) AS n FROM erp_patients').get() as { n: number }).n;
    const origin = srv.url;
    const login = await fetch(`${srv.url}/login`, {
      method: 'POST', redirect: 'manual', headers: { 'content-type': 'application/x-www-form-urlencoded', origin },
      body: `username=${encodeURIComponent(srv.credentials.username)}&password=${encodeURIComponent(srv.credentials.password)}`,
    });
    expect(login.status).toBe(302);
    cookie = (login.headers.get('set-cookie') ?? '').split(';')[0] as string;
  });
  afterAll(async () => srv.close());

  const form = (path: string, body: string, headers: Record<string, string>) =>
    fetch(`${srv.url}${path}`, { method: 'POST', redirect: 'manual', headers: { cookie, 'content-type': 'application/x-www-form-urlencoded', ...headers }, body });
  const json = (path: string, body: unknown, headers: Record<string, string>) =>
    fetch(`${srv.url}${path}`, { method: 'POST', redirect: 'manual', headers: { 'content-type': 'application/json', ...headers }, body: JSON.stringify(body) });
  const patientForm = 'last_name=Evil&first_name=E&consent_at=2026-01-01';

  it('a page form posted with the session cookie from another origin (or Referer) is 403 and stores nothing', async () => {
    const before = patients();
    const byOrigin = await form('/patients', patientForm, { origin: EVIL, 'sec-fetch-site': 'cross-site' });
    expect(byOrigin.status).toBe(403);
    expect(await byOrigin.text()).toContain('evil.example');
    expect((await form('/patients', patientForm, { referer: `${EVIL}/attack.html` })).status).toBe(403);
    expect((await form('/patients', patientForm, { origin: 'null' })).status).toBe(403);
    expect((await form('/logout', '', { origin: EVIL })).status).toBe(403);
    expect(patients()).toBe(before);
  });

  it('the JSON API with the session cookie from another origin is 403 problem+json; a form body there is 415', async () => {
    const before = patients();
    const r = await json('/api/v1/patients', PATIENT, { cookie, origin: EVIL });
    expect(r.status).toBe(403);
    expect(r.headers.get('content-type')).toContain('application/problem+json');
    expect(((await r.json()) as Json).detail).toContain('Authorization: Bearer');
    const sameSiteForm = await form('/api/v1/patients', patientForm, { origin: srv.url });
    expect(sameSiteForm.status).toBe(415);
    expect(patients()).toBe(before);
  });

  it('our own pages (same Origin), clients with neither header, and bearer calls from anywhere keep working', async () => {
    const before = patients();
    const own = await form('/patients', 'last_name=Own&first_name=O&consent_at=2026-01-01', { origin: srv.url, referer: `${srv.url}/patients/new` });
    expect(own.status).toBe(302);
    expect((await json('/api/v1/patients', { ...PATIENT, last_name: 'Wizard' }, { cookie, origin: srv.url })).status).toBe(201);
    expect((await form('/patients', 'last_name=Curl&first_name=C&consent_at=2026-01-01', {})).status).toBe(302);
    expect((await json('/api/v1/patients', { ...PATIENT, last_name: 'Bearer' }, { authorization: `Bearer ${admin.token}`, origin: EVIL })).status).toBe(201);
    expect(patients()).toBe(before + 4);
  });

  it('signing in from another site is refused too (login CSRF)', async () => {
    const r = await fetch(`${srv.url}/login`, {
      method: 'POST', redirect: 'manual', headers: { 'content-type': 'application/x-www-form-urlencoded', origin: EVIL },
      body: `username=${encodeURIComponent(srv.credentials.username)}&password=${encodeURIComponent(srv.credentials.password)}`,
    });
    expect(r.status).toBe(403);
    expect(r.headers.get('set-cookie')).toBeNull();
  });
});
