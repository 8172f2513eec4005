// The embedded broker's guards over real TCP: a box's last will passes the same ACL as its
// publishes (at CONNECT, and again when a restarted hub publishes a dead broker's stored wills
// with no client attached), packets above the size cap close the connection, and every
// refusal reaches the hub's metric and fleet view.
import { afterEach, describe, expect, it } from 'vitest';
import mqtt, { type MqttClient } from 'mqtt';
import { connect as tcpConnect } from 'node:net';
import { join } from 'node:path';
import { BoxRegistry } from '../../hub/broker/box-registry.js';
import { startBroker, type Refusal, type RunningBroker } from '../../hub/broker/broker.js';
import { openDatabase, type Db } from '../../shared/db.js';
import { silentLogger } from '../../shared/logger.js';
import { boxTopics, HUB_STATUS_TOPIC } from '../../shared/mqtt/topics.js';
import { BOX_SECRET, connectBox, SERVICE_SECRET, SERVICE_USER, tempDir, waitFor } from '../support/hub-fixture.js';
import { hubStack, OPERATOR_TOKEN, type HubStack } from '../support/hub-stack.js';

const B1 = boxTopics({ store: 'store-1', box: 'box-1' });
const B2 = boxTopics({ store: 'store-1', box: 'box-2' });
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

interface Fx { db: Db; broker: RunningBroker; refusals: Refusal[]; close(): Promise<void> }

const cleanups: (() => Promise<void> | void)[] = [];
afterEach(async () => {
  for (const c of cleanups.splice(0).reverse()) await c();
});

async function start(dbFile: string, maxPacketBytes?: number): Promise<Fx> {
  const db = openDatabase(dbFile);
  const registry = new BoxRegistry(db);
  registry.upsertService(SERVICE_USER, SERVICE_SECRET);
  for (const b of ['box-1', 'box-2']) registry.upsertBox('store-1', b, BOX_SECRET);
  const refusals: Refusal[] = [];
  const broker = await startBroker({ db, registry, logger: silentLogger(), heartbeatIntervalMs: 200, maxPacketBytes, onRefused: (r) => refusals.push(r) });
  let closed = false;
  const fx = { db, broker, refusals, async close() { if (closed) return; closed = true; await broker.close(); db.close(); } };
  cleanups.push(() => fx.close());
  return fx;
}

function track(c: MqttClient): MqttClient {
  cleanups.push(() => c.endAsync(true));
  return c;
}

async function service(url: string, onMessage?: (topic: string, payload: Buffer) => void): Promise<MqttClient> {
  const c = track(mqtt.connect(url, { clientId: '_hub-ingest', username: SERVICE_USER, password: SERVICE_SECRET, clean: false, protocolVersion: 4, reconnectPeriod: 0 }));
  if (onMessage) c.on('message', onMessage);
  await new Promise<void>((resolve, reject) => { c.once('connect', () => resolve()); c.once('error', reject); });
  return c;
}

/** The CONNACK return code a box gets with this will (0 = accepted). */
async function connectWithWill(url: string, topic: string): Promise<number> {
  const c = track(mqtt.connect(url, { clientId: 'box-1', username: 'box-1', password: BOX_SECRET, protocolVersion: 4, reconnectPeriod: 0,
    will: { topic, payload: Buffer.from('{"v":1,"forged":true}'), qos: 1, retain: false } }));
  return new Promise((resolve) => {
    c.once('connect', () => resolve(0));
    c.once('error', (err) => resolve((err as Error & { code?: number }).code ?? -1));
  });
}

describe('last will ACL', () => {
  it('refuses a CONNECT whose will a box may not publish (not authorized), accepts its own', async () => {
    const tmp = tempDir(); cleanups.push(() => tmp.cleanup());
    const fx = await start(join(tmp.dir, 'hub.db'));
    for (const topic of [B2.receipt, HUB_STATUS_TOPIC, '$SYS/x', B1.ack, `${B1.prefix}#`]) {
      expect(await connectWithWill(fx.broker.url, topic), topic).toBe(5);
    }
    expect(fx.refusals.map((r) => [r.action, r.code, r.store, r.box])).toEqual([
      ['will', 'foreign_topic', 'store-1', 'box-1'], ['will', 'foreign_topic', 'store-1', 'box-1'],
      ['will', 'reserved_topic', 'store-1', 'box-1'], ['will', 'foreign_topic', 'store-1', 'box-1'],
      ['will', 'invalid_topic', 'store-1', 'box-1'],
    ]);
    expect(fx.db.prepare('SELECT COUNT(*) AS n FROM mqtt_wills').get()).toEqual({ n: 0 });
    expect(await connectWithWill(fx.broker.url, B1.status)).toBe(0);
    // Stored with its owner, for the check a restarted hub makes when no client is attached.
    const row = fx.db.prepare('SELECT packet FROM mqtt_wills WHERE client_id = ?').get('box-1') as { packet: string };
    expect(JSON.parse(row.packet)).toMatchObject({ topic: B1.status, owner: 'box-1' });
  });

  it('a hub restarted on the database publishes a dead broker\'s stored wills only where their owner may publish', async () => {
    const tmp = tempDir(); cleanups.push(() => tmp.cleanup());
    const file = join(tmp.dir, 'hub.db');
    const a = await start(file);
    // The hub's persistent session, so wills published while it is away are queued for it.
    const sub = await service(a.broker.url);
    await sub.subscribeAsync(['kkt/v1/+/+/receipt', 'kkt/v1/+/+/status', HUB_STATUS_TOPIC], { qos: 1 });
    await sub.endAsync();
    // Wills as a broker without the CONNECT check stored them (no owner stamp), of a broker
    // that died: box-1 forging box-2's receipt and the hub's status, box-2 its own status.
    const put = a.db.prepare('INSERT INTO mqtt_wills (client_id, packet) VALUES (?, ?)');
    const will = (clientId: string, topic: string, body: string) => put.run(clientId, JSON.stringify({
      topic, payload: Buffer.from(body).toString('base64'), qos: 1, retain: false, brokerId: 'dead-broker', clientId,
    }));
    will('box-1', B2.receipt, '{"forged":"receipt"}');
    will('_evil', HUB_STATUS_TOPIC, '{"forged":"hub status"}');
    will('box-2', B2.status, '{"v":1,"state":"offline"}');
    await a.close();

    const b = await start(file);
    const got: string[] = [];
    await service(b.broker.url, (topic, p) => got.push(`${topic} ${p.toString()}`));
    await waitFor(() => got.length > 0, 10_000);
    await sleep(2000); // 2+ more will rounds (every 4 heartbeats of 200 ms)
    expect(got).toEqual([`${B2.status} {"v":1,"state":"offline"}`]);
    expect(b.refusals.map((r) => [r.action, r.code, r.clientId])).toEqual(expect.arrayContaining([
      ['will', 'foreign_topic', 'box-1'], ['will', 'unknown_owner', '_evil'],
    ]));
    expect(b.refusals).toHaveLength(2); // discarded, not retried every round
    expect(b.db.prepare('SELECT client_id FROM mqtt_wills').all()).toEqual([]);
  });
});

describe('packet size cap', () => {
  it('closes a box connection on a packet above the cap; smaller ones and the hub\'s own pass', async () => {
    const tmp = tempDir(); cleanups.push(() => tmp.cleanup());
    const fx = await start(join(tmp.dir, 'hub.db'), 512 * 1024);
    const got: number[] = [];
    const hub = await service(fx.broker.url, (_t, p) => got.push(p.length));
    await hub.subscribeAsync(['kkt/v1/+/+/receipt', B1.ack], { qos: 1 });
    const box = track(await connectBox(fx.broker.url, 'box-1', { reconnectPeriod: 0 }));
    await box.publishAsync(B1.receipt, Buffer.alloc(400 * 1024, 0x41), { qos: 1 });
    await waitFor(() => got.length === 1);
    const closed = new Promise<void>((resolve) => box.once('close', () => resolve()));
    box.publish(B1.receipt, Buffer.alloc(2 * 1024 * 1024, 0x42), { qos: 1 });
    await closed;
    expect(fx.refusals).toMatchObject([{ action: 'packet', code: 'too_large', store: 'store-1', box: 'box-1' }]);
    await hub.publishAsync(B1.ack, Buffer.alloc(2 * 1024 * 1024, 0x43), { qos: 1 });
    await waitFor(() => got.length === 2);
    await sleep(200);
    expect(got).toEqual([400 * 1024, 2 * 1024 * 1024]);
  });

  it('closes an unauthenticated connection as soon as a header announces an oversized packet', async () => {
    const tmp = tempDir(); cleanups.push(() => tmp.cleanup());
    const fx = await start(join(tmp.dir, 'hub.db'));
    const sock = tcpConnect(fx.broker.port, fx.broker.host);
    cleanups.push(() => { sock.destroy(); });
    await new Promise<void>((resolve) => sock.once('connect', () => resolve()));
    // CONNECT with remaining length 100 MiB (varint), then only a few bytes of it.
    const len = 100 * 1024 * 1024;
    const varint = [len & 0x7f | 0x80, (len >> 7) & 0x7f | 0x80, (len >> 14) & 0x7f | 0x80, (len >> 21) & 0x7f];
    sock.write(Buffer.from([0x10, ...varint, 0, 4, 0x4d, 0x51, 0x54, 0x54]));
    await new Promise<void>((resolve) => sock.once('close', () => resolve()));
    expect(fx.refusals).toMatchObject([{ action: 'packet', code: 'too_large', clientId: null }]);
    expect(fx.refusals[0]).not.toHaveProperty('box');
  });
});

describe('refusals on /metrics and /api/fleet', () => {
  let s: HubStack | null = null;
  afterEach(async () => { await s?.close(); s = null; });

  /** Publishes once and waits for the broker to drop the connection. */
  async function refusedPublish(url: string, topic: string, payload: string | Buffer): Promise<void> {
    const box = track(await connectBox(url, 'box-1', { reconnectPeriod: 0 }));
    const closed = new Promise<void>((resolve) => box.once('close', () => resolve()));
    box.publish(topic, payload, { qos: 1 });
    await closed;
  }

  it('counts a box publishing outside its own topics or above mqtt.maxPacketBytes, and shows the fleet its last refusal', async () => {
    s = await hubStack({ mqtt: { maxPacketBytes: 256 * 1024 } });
    const hub = s.hub;
    await refusedPublish(hub.mqttUrl, B2.receipt, '{}');
    await refusedPublish(hub.mqttUrl, B1.receipt, Buffer.alloc(300 * 1024, 0x41));
    const metrics = await (await fetch(`${hub.httpUrl}/metrics`)).text();
    expect(metrics).toMatch(/hub_broker_refused_total\{action="publish",reason="foreign_topic",store="store-1",box="box-1"\} 1/);
    expect(metrics).toMatch(/hub_broker_refused_total\{action="packet",reason="too_large",store="store-1",box="box-1"\} 1/);
    const fleet = await (await fetch(`${hub.httpUrl}/api/fleet`, { headers: { authorization: `Bearer ${OPERATOR_TOKEN}` } })).json() as { boxes: { box: string; last_refusal: unknown }[] };
    expect(fleet.boxes.find((b) => b.box === 'box-1')?.last_refusal).toMatchObject({ action: 'packet', reason: expect.stringContaining('exceeds the limit of 262144') });
    expect(fleet.boxes.find((b) => b.box === 'box-2')?.last_refusal).toBeNull();
  });
});
