// UAT-03 "Импорт прайса поставщика": a manager imports the shipped supplier price lists through
// the API the wizard uses (upload, preview 10 rows, confirm, watch progress), sees row errors,
// and importing the same file again changes nothing.
import { readFileSync } from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { samplePath, startErpServer, type Api, type ErpServer, type Json } from '../support/erp-http.js';

async function waitForJob(api: Api, id: number) {
  for (let i = 0; i < 200; i += 1) {
    const r = await api.call('GET', `/api/v1/import/jobs/${id}`);
    if (r.body.state === 'done' || r.body.state === 'failed') return r.body;
    await new Promise((res) => setTimeout(res, 25));
  }
  throw new Error('job did not finish');
}

async function runImport(api: Api, file: string, profileName: string) {
  const profiles = (await api.call('GET', '/api/v1/import/profiles')).body.items as { id: number; name: string }[];
  const profile = profiles.find((p) => p.name.startsWith(profileName));
  if (!profile) throw new Error(`no profile ${profileName}`);
  const up = await api.call('POST', `/api/v1/import/uploads?filename=${encodeURIComponent(file)}`, readFileSync(samplePath(file)), { 'content-type': 'application/octet-stream' });
  expect(up.status).toBe(201);
  const preview = await api.call('GET', `/api/v1/import/uploads/${up.body.id}/preview?profile_id=${profile.id}`);
  const job = await api.call('POST', '/api/v1/import/jobs', { upload_id: up.body.id, profile_id: profile.id });
  expect(job.status).toBe(201);
  return { preview: preview.body.rows as Json[], job: await waitForJob(api, job.body.id) };
}

describe('UAT-03 supplier price-list import', () => {
  let srv: ErpServer;
  let manager: Api;
  beforeAll(async () => {
    srv = await startErpServer();
    manager = await srv.userApi('manager');
  });
  afterAll(async () => srv.close());

  it('imports the CP1251 CSV sample: preview of 10, 38 created, 2 row errors with column and reason', async () => {
    const { preview, job } = await runImport(manager, 'optmarket-frames-cp1251.csv', 'ОптМаркет');
    expect(preview).toHaveLength(10);
    expect(preview[0].mapped.row).toMatchObject({ supplier_code: 'OM-000001', name: 'Оправа «Silhouette» модель 1', cost: 151250, price: 302500 });
    expect(job).toMatchObject({ state: 'done', rows_total: 40, created: 38, failed: 2, bytes_read: job.bytes_total });
    const errs = await manager.call('GET', `/api/v1/import/jobs/${job.id}/errors`);
    expect(errs.body.items).toEqual([
      { row_number: 18, column_name: 'Цена', reason: expect.stringContaining('по запросу'), code: 'money', params: { field: 'price', value: 'по запросу', separator: 'decimal comma' } },
      { row_number: 35, column_name: 'Цена', reason: expect.stringContaining('по запросу'), code: 'money', params: { field: 'price', value: 'по запросу', separator: 'decimal comma' } },
    ]);
    const frames = await manager.call('GET', `/api/v1/products?q=${encodeURIComponent('модель 12')}&kind=frame`);
    expect(frames.body.items[0]).toMatchObject({ supplier: 'ОптМаркет', price: 330000, barcode: '4600000000121' });
  });

  it('importing the same file twice changes nothing the second time', async () => {
    const before = (await manager.call('GET', '/api/v1/products?per_page=100')).body;
    const { job } = await runImport(manager, 'optmarket-frames-cp1251.csv', 'ОптМаркет');
    expect(job).toMatchObject({ state: 'done', created: 0, updated: 0, unchanged: 38, failed: 2 });
    expect((await manager.call('GET', '/api/v1/products?per_page=100')).body).toEqual(before);
  });

  it('imports the XLSX sample (lenses, match by barcode)', async () => {
    const { job } = await runImport(manager, 'lensvision-lenses.xlsx', 'LensVision');
    expect(job).toMatchObject({ state: 'done', rows_total: 30, created: 30, failed: 0 });
    expect((await manager.call('GET', '/api/v1/products?kind=lens')).body.total).toBe(30);
  });

  it('an optician may not import; an unknown file type and an empty upload are refused', async () => {
    const optician = await srv.userApi('optician');
    const r = await optician.call('POST', '/api/v1/import/uploads?filename=x.csv', 'a;b', { 'content-type': 'application/octet-stream' });
    expect(r.status).toBe(403);
    expect(r.type).toContain('application/problem+json');
    const bad = await manager.call('POST', '/api/v1/import/uploads?filename=prices.exe', 'MZ', { 'content-type': 'application/octet-stream' });
    expect(bad.status).toBe(422);
    expect(bad.body.errors[0].field).toBe('filename');
    const empty = await manager.call('POST', '/api/v1/import/uploads?filename=e.csv', '', { 'content-type': 'application/octet-stream' });
    expect(empty.status).toBe(422);
  });
});
