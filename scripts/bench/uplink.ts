// `npm run bench:uplink`: in one run, (1) raw broker QoS 1 throughput: publisher -> embedded
// aedes (durable SQLite persistence, as the hub runs it) -> one persistent QoS 1 subscriber;
// (2) hub ingest throughput: the same publisher -> broker -> hub ingest (validate, dedupe,
// durable insert) -> ack received back by the publisher; (3) the drain of a 10,000-document
// backlog from a box (real LAN API, buffer and uplink) through the hub to the test OFD, until
// every document is synced at the box. Last line: one JSON object.
// Env: BENCH_N (messages, default 5000), BENCH_WINDOW (QoS 1 in flight, default 200).
import mqtt, { type MqttClient } from 'mqtt';
import { join } from 'node:path';
import { silentLogger } from '../../shared/logger.js';
import { openDatabase } from '../../shared/db.js';
import { BoxRegistry } from '../../hub/broker/box-registry.js';
import { startBroker } from '../../hub/broker/broker.js';
import { DocumentStore } from '../../hub/ingest/document-store.js';
import { Ingest } from '../../hub/ingest/ingest.js';
import { boxTopics } from '../../shared/mqtt/topics.js';
import { makeDocument } from '../../tests/support/documents.js';
import { ackEntries, tempDir } from '../../tests/support/hub-fixture.js';
import { machineFacts } from './machine.js';
import { createServer, connect } from 'node:net';
import { saleBody } from '../../tests/helpers/receipts.js';
import { startTestBox } from '../../tests/helpers/box-server.js';
import { fakeFiscaliser } from '../../tests/support/fake-fiscaliser.js';
import { BOX_SECRET, waitFor } from '../../tests/support/hub-fixture.js';
import { onFreePort } from '../crash/hub-process.js';
import { hubStack } from '../../tests/support/hub-stack.js';

const N = Number(process.env.BENCH_N ?? 5000);
const WINDOW = Number(process.env.BENCH_WINDOW ?? 200);
/** Rounds alternate raw and ingest so a busy neighbour on the machine hits both alike; medians are reported. */
const ROUNDS = Number(process.env.BENCH_ROUNDS ?? 3);
const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)] ?? NaN;
const SECRET = 'bench-secret-123';
const T = boxTopics({ store: 'store-1', box: 'box-1' });

async function client(url: string, id: string, user: string): Promise<MqttClient> {
  const c = mqtt.connect(url, { clientId: id, username: user, password: SECRET, clean: false, protocolVersion: 4, reconnectPeriod: 0 });
  await new Promise<void>((res, rej) => { c.once('connect', () => res()); c.once('error', rej); });
  return c;
}

/** Publishes all payloads QoS 1 with at most WINDOW unacknowledged. */
async function publishAll(c: MqttClient, payloads: string[]): Promise<void> {
  let next = 0;
  await Promise.all(Array.from({ length: WINDOW }, async () => {
    while (next < payloads.length) {
      const p = payloads[next++]!;
      await c.publishAsync(T.receipt, p, { qos: 1 });
    }
  }));
}

async function run(dir: string, mode: 'raw' | 'ingest', round: number) {
  const db = openDatabase(join(dir, `${mode}-${round}.db`));
  const registry = new BoxRegistry(db);
  registry.upsertService('_hub', SECRET);
  registry.upsertBox('store-1', 'box-1', SECRET);
  const broker = await startBroker({ db, registry, logger: silentLogger() });
  const payloads = Array.from({ length: N }, () => JSON.stringify(makeDocument()));
  const pub = await client(broker.url, 'box-1', 'box-1');
  let done!: () => void;
  const finished = new Promise<void>((r) => { done = r; });
  let count = 0;
  let storedAt = 0;
  let stop: () => Promise<void>;
  if (mode === 'raw') {
    const sub = await client(broker.url, '_bench-sub', '_hub');
    await sub.subscribeAsync(T.receipt, { qos: 1 });
    sub.on('message', () => { if (++count === N) done(); });
    stop = () => sub.endAsync(true);
  } else {
    const store = new DocumentStore(db);
    const ingest = new Ingest({ url: broker.url, username: '_hub', password: SECRET, store, logger: silentLogger() });
    await ingest.start({ v: 1, state: 'online', at: new Date().toISOString() });
    ingest.on('stored', () => { if (ingest.stats.stored === N) storedAt = performance.now(); });
    await pub.subscribeAsync(T.ack, { qos: 1 });
    pub.on('message', (topic, payload) => {
      if (topic !== T.ack) return;
      count += ackEntries(payload).length;
      if (count === N) done();
    });
    stop = () => ingest.stop();
  }
  const t0 = performance.now();
  await publishAll(pub, payloads);
  await finished;
  const seconds = (performance.now() - t0) / 1000;
  await stop();
  await pub.endAsync(true);
  await broker.close();
  db.close();
  return { rate: N / seconds, storedRate: storedAt ? N / ((storedAt - t0) / 1000) : NaN };
}

/**
 * The 10k drain: a box whose buffer holds DRAIN_N printed documents (inserted offline) comes
 * online; timed until every one is synced (hub ack + OFD ticket back at the box).
 */
async function drain(n: number): Promise<{ seconds: number; requests: number; failed: string[]; at: { stored?: number; confirmed?: number } }> {
  // The production request timeout (the test stack's 1 s is for fast fault tests): a batch of
  // a few hundred documents on this shared one-process setup can take longer than that.
  const s = await hubStack({ ofd: { requestTimeoutMs: 10_000 } }, { fnKey: null });
  const failed: string[] = [];
  s.hub.forwarder.on('failed', (_d, err) => failed.push(err));
  // The box keeps the address it started with: if its port is taken before the proxy listens,
  // a new box fills its buffer again on another port (outside the timed part).
  const { t, proxy } = await onFreePort(async (port) => {
    const t = await startTestBox({ uplink: { enabled: true, url: `mqtt://127.0.0.1:${port}`, storeId: 'store-1', boxId: 'box-1', secret: BOX_SECRET, window: 500, pollMs: 50 }, buffer: { capacity: 100_000 } }, { fiscaliser: fakeFiscaliser() });
    try {
      // Fill the buffer through the real API while the box cannot reach the hub.
      const posts: Promise<Response>[] = [];
      for (let i = 0; i < n; i++) {
        posts.push(t.post(saleBody({ pos_id: `POS-${i % 5}` })));
        if (posts.length >= 64) await Promise.all(posts.splice(0));
      }
      await Promise.all(posts);
      if (t.box.uplink!.outbox.counts().unsent !== n) throw new Error('buffer not filled');
      // Point the box at the hub: a broker appears on the address it keeps retrying.
      return { t, proxy: await tcpProxy(port, s.hub.broker!.port) };
    } catch (err) {
      await t.stop();
      throw err;
    }
  });
  const t0 = performance.now();
  // Milestones: every document stored at the hub, confirmed by the OFD, synced at the box.
  const at: { stored?: number; confirmed?: number } = {};
  const since = () => Number(((performance.now() - t0) / 1000).toFixed(1));
  await waitFor(() => {
    const c = s.hub.store.counts();
    if (at.stored === undefined && c.pending + c.confirmed === n) at.stored = since();
    if (at.confirmed === undefined && c.confirmed === n) at.confirmed = since();
    return t.box.buffer.status().by_status.synced === n;
  }, 600_000);
  const seconds = (performance.now() - t0) / 1000;
  const stats = s.ofd.stats();
  if (stats.accepted !== n || stats.duplicates !== 0) throw new Error(`OFD saw ${stats.accepted} accepted, ${stats.duplicates} duplicates; failed attempts: ${failed.join('; ')}`);
  proxy.close();
  await t.stop();
  await s.close();
  return { seconds, requests: stats.batches, failed, at };
}

/** A TCP relay from `from` to `to` on loopback: lets a box configured for a port reach a hub on another. */
async function tcpProxy(from: number, to: number) {
  const server = createServer((c) => {
    const up = connect(to, '127.0.0.1');
    c.pipe(up).pipe(c);
    c.on('error', () => up.destroy());
    up.on('error', () => c.destroy());
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject); // EADDRINUSE: onFreePort tries another port
    server.listen(from, '127.0.0.1', () => { server.off('error', reject); resolve(); });
  });
  return { close: () => { server.close(); } };
}

const tmp = tempDir('bench-uplink-');
try {
  console.log('machine:', JSON.stringify(machineFacts(tmp.dir)));
  console.log(`messages: ${N}, publisher window: ${WINDOW}, payload ~${JSON.stringify(makeDocument()).length} bytes`);
  const raws: number[] = [];
  const stored: number[] = [];
  const acked: number[] = [];
  for (let r = 0; r < ROUNDS; r++) {
    // BENCH_ONLY=ingest skips the raw runs (for profiling the ingest path alone).
    raws.push(process.env.BENCH_ONLY === 'ingest' ? NaN : (await run(tmp.dir, 'raw', r)).rate);
    const i = await run(tmp.dir, 'ingest', r);
    stored.push(i.storedRate);
    acked.push(i.rate);
    console.log(`round ${r + 1}: raw broker ${raws.at(-1)!.toFixed(0)} msg/s; hub ingest stored ${i.storedRate.toFixed(0)}/s, acked back ${i.rate.toFixed(0)}/s`);
  }
  const broker = median(raws);
  const ingest = median(stored);
  const ackedBack = median(acked);
  console.log(`raw broker QoS 1 (durable aedes, 1 persistent subscriber), median: ${broker.toFixed(0)} msg/s`);
  console.log(`hub ingest, documents validated + deduped + durably stored (acks flowing meanwhile), median: ${ingest.toFixed(0)}/s`);
  console.log(`hub ingest end to end, until the box holds every ack, median: ${ackedBack.toFixed(0)}/s`);
  const DRAIN_N = Number(process.env.BENCH_DRAIN_N ?? 10_000);
  const d = await drain(DRAIN_N);
  const drainSeconds = d.seconds;
  console.log(`drain of ${DRAIN_N} buffered documents box -> hub -> test OFD -> ticket back (all synced): ${drainSeconds.toFixed(1)} s (${(DRAIN_N / drainSeconds).toFixed(0)}/s), ` +
    `${d.requests} OFD batch requests, ${d.failed.length} failed attempts; all stored at the hub after ${d.at.stored} s, all confirmed by the OFD after ${d.at.confirmed} s`);
  console.log(JSON.stringify({
    broker_msgs_per_s: Math.round(broker), hub_ingest_per_s: Math.round(ingest), ratio: Number((ingest / broker).toFixed(2)),
    hub_acked_per_s: Math.round(ackedBack), acked_ratio: Number((ackedBack / broker).toFixed(2)), drain_10k_s: Number(drainSeconds.toFixed(1)), drain_n: DRAIN_N, drain_ofd_requests: d.requests, drain_failed_attempts: d.failed.length, drain_hub_stored_s: d.at.stored, drain_ofd_confirmed_s: d.at.confirmed, n: N, rounds: ROUNDS,
  }));
} finally {
  tmp.cleanup();
}
process.exit(0);
