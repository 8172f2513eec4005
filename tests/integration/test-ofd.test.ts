// The test OFD: API key, TLV checks, fiscal sign, idempotent tickets, run-time faults.
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { startTestOfd, type TestOfd } from '../../hardware/sim/ofd/server.js';
import { decodeTlv, encodeTlv } from '../../hardware/sim/ofd/tlv.js';
import { makeDocument, TEST_FN_KEY } from '../support/documents.js';

const KEY = 'k-123';
let ofd: TestOfd;

async function post(doc: { receipt_id: string; tlv_b64: string }, headers: Record<string, string> = {}) {
  const res = await fetch(`${ofd.url}/api/v1/documents`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', authorization: `Bearer ${KEY}`, 'idempotency-key': doc.receipt_id, ...headers },
    body: JSON.stringify({ tlv_b64: doc.tlv_b64 }),
    signal: AbortSignal.timeout(1000),
  });
  return { status: res.status, body: await res.json() as Record<string, unknown> };
}

async function control(body: unknown) {
  const res = await fetch(`${ofd.controlUrl}/control/fault`, { method: 'PUT', body: JSON.stringify(body) });
  return res.status;
}

describe('test OFD', () => {
  beforeAll(async () => { ofd = await startTestOfd({ apiKey: KEY, fnKey: TEST_FN_KEY }); });
  afterAll(async () => { await ofd.close(); });
  beforeEach(async () => { await control({ mode: 'ok' }); ofd.reset(); });

  it('accepts a valid receipt with a ticket; a resubmission gets the same ticket and counts as a duplicate', async () => {
    const doc = makeDocument();
    const a = await post(doc);
    expect(a.status).toBe(201);
    const ticket = a.body.ticket as { fd_number: number; tlv_b64: string };
    expect(ticket.fd_number).toBe(doc.fiscal.fd_number);
    expect(decodeTlv(Buffer.from(ticket.tlv_b64, 'base64'))[0]?.tag).toBe(7);
    const b = await post(doc);
    expect(b).toMatchObject({ status: 200, body: { status: 'duplicate', ticket } });
    // Same FN/FD under another key is the same document too.
    expect((await post({ ...doc, receipt_id: 'other-key' })).body.status).toBe('duplicate');
    expect(ofd.stats()).toMatchObject({ accepted: 1, duplicates: 2 });
  });

  it('refuses a missing API key, missing mandatory tags and a wrong fiscal sign', async () => {
    const doc = makeDocument();
    expect((await post(doc, { authorization: 'Bearer nope' })).status).toBe(401);
    const body = decodeTlv(decodeTlv(Buffer.from(doc.tlv_b64, 'base64'))[0]!.value).filter((t) => t.tag !== 1037);
    const noRnm = encodeTlv(3, Buffer.concat(body.map((t) => encodeTlv(t.tag, t.value)))).toString('base64');
    const r1 = await post({ receipt_id: 'a1', tlv_b64: noRnm });
    expect(r1).toMatchObject({ status: 422, body: { detail: 'mandatory tags missing: 1037' } });
    const forged = makeDocument({ fd: 777 });
    const tlv = Buffer.from(forged.tlv_b64, 'base64');
    tlv[tlv.length - 1] = (tlv[tlv.length - 1] ?? 0) ^ 0xff; // last byte of the fiscal sign
    const r2 = await post({ receipt_id: 'a2', tlv_b64: tlv.toString('base64') });
    expect(r2.status).toBe(422);
    expect(String(r2.body.detail)).toMatch(/does not verify/);
    expect((await post({ receipt_id: 'a3', tlv_b64: Buffer.from('garbage').toString('base64') })).status).toBe(422);
    expect(ofd.stats()).toMatchObject({ accepted: 0, rejected: 3 });
  });

  it('switches faults at run time: 503, slow, timeout, flapping, down, and back', async () => {
    expect(await control({ mode: 'bogus' })).toBe(400);
    expect(await control({ mode: '503' })).toBe(200);
    expect((await post(makeDocument())).status).toBe(503);

    await control({ mode: 'slow', delay_ms: 300 });
    const t0 = Date.now();
    expect((await post(makeDocument())).status).toBe(201);
    expect(Date.now() - t0).toBeGreaterThanOrEqual(290);

    await control({ mode: 'timeout' });
    await expect(post(makeDocument())).rejects.toThrow(/timeout|aborted/i);

    await control({ mode: 'flapping', flap_every: 2 });
    const statuses = [];
    for (let i = 0; i < 6; i++) statuses.push((await post(makeDocument())).status);
    expect(statuses).toEqual([503, 503, 201, 201, 503, 503]);

    await control({ mode: 'down' });
    await expect(post(makeDocument())).rejects.toThrow(/fetch failed/);
    await control({ mode: 'ok' });
    expect((await post(makeDocument())).status).toBe(201);
  });
});
