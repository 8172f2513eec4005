// The batch relay path: the test OFD's batch endpoint (order, dedupe inside and across
// batches, refusals) and the hub forwarder sending each box's documents in HLC-ordered
// batches over real HTTP into a real SQLite file, including a batch whose answer is lost.
import { join } from 'node:path';
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { startTestOfd, type TestOfd } from '../../hardware/sim/ofd/server.js';
import { DocumentStore } from '../../hub/ingest/document-store.js';
import { OfdForwarder } from '../../hub/ofd/forwarder.js';
import { httpOfdClient } from '../../hub/ofd/ofd-client.js';
import { DEFAULT_OFD_POLICY, type OfdPolicyConfig } from '../../hub/ofd/policies.js';
import { openDatabase, type Db } from '../../shared/db.js';
import { silentLogger } from '../../shared/logger.js';
import type { ReceiptMessage } from '../../shared/mqtt/messages.js';
import { makeDocument, TEST_FN, TEST_FN_KEY } from '../support/documents.js';
import { tempDir, waitFor } from '../support/hub-fixture.js';

const KEY = 'k-batch';

async function postBatch(ofd: TestOfd, documents: unknown, apiKey = KEY) {
  const res = await fetch(`${ofd.url}/api/v1/documents/batch`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', authorization: `Bearer ${apiKey}` },
    body: JSON.stringify({ documents }),
    signal: AbortSignal.timeout(2000),
  });
  return { status: res.status, body: await res.json() as { results?: { idempotency_key: string; status: string; ticket?: { fd_number: number } }[]; detail?: string } };
}

const entry = (d: ReceiptMessage) => ({ idempotency_key: d.receipt_id, tlv_b64: d.tlv_b64 });

describe('test OFD batch endpoint', () => {
  let ofd: TestOfd;
  beforeAll(async () => { ofd = await startTestOfd({ apiKey: KEY, fnKey: TEST_FN_KEY }); });
  afterAll(async () => { await ofd.close(); });
  beforeEach(async () => { await ofd.setFault({ mode: 'ok' }); ofd.reset(); });

  it('applies documents in the order given, one ticket per document in the same order', async () => {
    const docs = [makeDocument({ fd: 9003 }), makeDocument({ fd: 9001 }), makeDocument({ fd: 9002 })];
    const r = await postBatch(ofd, docs.map(entry));
    expect(r.status).toBe(200);
    expect(r.body.results!.map((x) => [x.idempotency_key, x.status, x.ticket?.fd_number])).toEqual(docs.map((d) => [d.receipt_id, 'accepted', d.fiscal.fd_number]));
    expect(ofd.stats().order[TEST_FN]).toEqual([9003, 9001, 9002]);
  });

  it('dedupes by key inside a batch, across batches and against the single-document endpoint', async () => {
    const [a, b, c] = [makeDocument(), makeDocument(), makeDocument()];
    const first = await postBatch(ofd, [entry(a!), entry(b!), entry(a!)]);
    expect(first.body.results!.map((x) => x.status)).toEqual(['accepted', 'accepted', 'duplicate']);
    expect(first.body.results![2]!.ticket).toEqual(first.body.results![0]!.ticket);
    const second = await postBatch(ofd, [entry(b!), entry(c!)]);
    expect(second.body.results!.map((x) => x.status)).toEqual(['duplicate', 'accepted']);
    const single = await fetch(`${ofd.url}/api/v1/documents`, {
      method: 'POST', headers: { authorization: `Bearer ${KEY}`, 'idempotency-key': c!.receipt_id }, body: JSON.stringify({ tlv_b64: c!.tlv_b64 }),
    });
    expect(single.status).toBe(200);
    expect(ofd.stats()).toMatchObject({ accepted: 3, duplicates: 3 });
  });

  it('a refused document gets its own problem and does not stop the rest; a bad request changes nothing', async () => {
    const [a, b] = [makeDocument(), makeDocument()];
    const r = await postBatch(ofd, [entry(a!), { idempotency_key: 'junk-1', tlv_b64: Buffer.from('garbage').toString('base64') }, entry(b!)]);
    expect(r.body.results!.map((x) => x.status)).toEqual(['accepted', 'rejected', 'accepted']);
    expect(r.body.results![1]).toMatchObject({ problem: { status: 422 } });
    const before = ofd.stats();
    expect((await postBatch(ofd, [entry(makeDocument()), { idempotency_key: 'no-tlv' }])).status).toBe(400);
    expect((await postBatch(ofd, [])).status).toBe(400);
    expect((await postBatch(ofd, [entry(makeDocument())], 'wrong-key')).status).toBe(401);
    expect(ofd.stats()).toEqual(before);
  });

  it('a fault fails the whole batch and applies none of it', async () => {
    await ofd.setFault({ mode: '503' });
    expect((await postBatch(ofd, [entry(makeDocument()), entry(makeDocument())])).status).toBe(503);
    expect(ofd.stats()).toMatchObject({ accepted: 0, failed_by_fault: 1 });
  });
});

describe('forwarder over the batch path', () => {
  let ofd: TestOfd;
  let db: Db;
  let store: DocumentStore;
  let fwd: OfdForwarder;
  let tmp: ReturnType<typeof tempDir>;
  const requests: number[] = [];

  async function setup(policy: Partial<OfdPolicyConfig>) {
    ofd = await startTestOfd({ apiKey: KEY, fnKey: TEST_FN_KEY });
    tmp = tempDir();
    db = openDatabase(join(tmp.dir, 'hub.db'));
    store = new DocumentStore(db);
    const http = httpOfdClient(ofd.url, KEY);
    requests.length = 0;
    // The real HTTP client, counting documents per request.
    const client = { send: http.send, sendBatch: (docs: readonly ReceiptMessage[], s: AbortSignal) => { requests.push(docs.length); return http.sendBatch!(docs, s); } };
    fwd = new OfdForwarder({ store, client, policy: { ...DEFAULT_OFD_POLICY, breakerFailures: 1000, backoffInitialMs: 20, backoffMaxMs: 50, ...policy }, logger: silentLogger() });
    fwd.start();
  }
  afterEach(async () => { await fwd.stop(); await ofd.close(); db.close(); tmp.cleanup(); });

  it('sends each box\'s documents in HLC order in batches, each accepted once, tickets stored', async () => {
    await setup({ batchSize: 25 });
    // Two boxes, documents inserted out of HLC order; FD numbers follow each box's HLC order.
    const docs: ReceiptMessage[] = [];
    for (const box of ['bA', 'bB']) {
      for (let i = 0; i < 60; i++) docs.push(makeDocument({ box, hlc: `${String(1000 + i).padStart(15, '0')}:00000:${box}` }));
    }
    store.insertMany([...docs].reverse());
    fwd.wake();
    await waitFor(() => store.counts().confirmed === 120);
    expect(ofd.stats()).toMatchObject({ accepted: 120, duplicates: 0 });
    expect(requests.every((n) => n <= 25)).toBe(true);
    expect(requests.length).toBeLessThanOrEqual(120 / 25 + 4);
    const arrived = ofd.stats().order[TEST_FN]!;
    for (const box of ['bA', 'bB']) {
      const fds = new Set(docs.filter((d) => d.box_id === box).map((d) => d.fiscal.fd_number));
      const seen = arrived.filter((fd) => fds.has(fd));
      expect(seen).toEqual([...seen].sort((x, y) => x - y));
      expect(seen).toHaveLength(60);
    }
    expect(store.get(docs[0]!.receipt_id)!.ticket!.fd_number).toBe(docs[0]!.fiscal.fd_number);
  });

  it('a batch whose answer is lost is resent and deduped: every document accepted exactly once', async () => {
    await setup({ batchSize: 10, requestTimeoutMs: 300 });
    // The OFD applies the first batch only after the hub gave up waiting for it.
    await ofd.setFault({ mode: 'slow', delay_ms: 600 });
    const docs = Array.from({ length: 30 }, (_, i) => makeDocument({ box: 'bL', hlc: `${String(2000 + i).padStart(15, '0')}:00000:bL` }));
    store.insertMany(docs);
    fwd.wake();
    await waitFor(() => store.get(docs[0]!.receipt_id)!.attempts >= 1);
    expect(store.counts().confirmed).toBe(0);
    await waitFor(() => ofd.stats().accepted === 10); // the lost batch landed at the OFD
    await ofd.setFault({ mode: 'ok' });
    await waitFor(() => store.counts().confirmed === 30);
    const s = ofd.stats();
    expect(s.accepted).toBe(30);
    // Each resend of the first batch (retries while the OFD was slow) came back as duplicates.
    expect(s.duplicates).toBeGreaterThanOrEqual(10);
    expect(s.duplicates % 10).toBe(0);
    expect(s.order[TEST_FN]).toEqual(docs.map((d) => d.fiscal.fd_number));
    // Failures count against the box's head only, as for a single document.
    expect(store.get(docs[0]!.receipt_id)!.attempts).toBeGreaterThanOrEqual(2);
    expect(store.get(docs[1]!.receipt_id)!.attempts).toBe(1);
  });

  it('a document the OFD refuses inside a batch goes to the DLQ; the rest of the box goes on', async () => {
    await setup({ batchSize: 10 });
    const docs = Array.from({ length: 5 }, (_, i) => makeDocument({ box: 'bR', hlc: `${String(3000 + i).padStart(15, '0')}:00000:bR` }));
    docs[2] = { ...docs[2]!, tlv_b64: Buffer.from('garbage').toString('base64') };
    store.insertMany(docs);
    fwd.wake();
    await waitFor(() => store.counts().pending === 0);
    expect(store.counts()).toMatchObject({ confirmed: 4, dead: 1 });
    expect(store.dead()[0]).toMatchObject({ receipt_id: docs[2]!.receipt_id });
    expect(requests).toEqual([5]);
  });
});
