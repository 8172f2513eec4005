// A real broker + hub ingest on an ephemeral port with a temp SQLite file, for integration tests.
import mqtt, { type MqttClient } from 'mqtt';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { openDatabase, type Db } from '../../shared/db.js';
import { silentLogger } from '../../shared/logger.js';
import { BoxRegistry } from '../../hub/broker/box-registry.js';
import { ackMessage, parsePayload, type ReceiptAck } from '../../shared/mqtt/messages.js';
import { startBroker, type RunningBroker } from '../../hub/broker/broker.js';

export const SERVICE_USER = '_hub';
export const SERVICE_SECRET = 'service-secret-123';
export const BOX_SECRET = 'box-secret-1234';

export function tempDir(prefix = 'hub-test-'): { dir: string; cleanup(): void } {
  const dir = mkdtempSync(join(tmpdir(), prefix));
  return { dir, cleanup: () => rmSync(dir, { recursive: true, force: true }) };
}

export interface BrokerFixture { db: Db; registry: BoxRegistry; broker: RunningBroker; dbFile: string; close(): Promise<void> }

export async function brokerFixture(dbFile: string, boxes: [string, string][] = [['store-1', 'box-1'], ['store-1', 'box-2']], port = 0): Promise<BrokerFixture> {
  const db = openDatabase(dbFile);
  const registry = new BoxRegistry(db);
  registry.upsertService(SERVICE_USER, SERVICE_SECRET);
  for (const [s, b] of boxes) registry.upsertBox(s, b, BOX_SECRET);
  const broker = await startBroker({ db, registry, logger: silentLogger(), port, heartbeatIntervalMs: 200 });
  return { db, registry, broker, dbFile, async close() { await broker.close(); db.close(); } };
}

/** `onMessage` is attached before CONNACK: a resumed session delivers its queue right after it. */
export async function connectBox(url: string, box: string, opts: mqtt.IClientOptions = {}, onMessage?: (topic: string, payload: Buffer) => void): Promise<MqttClient> {
  const c = mqtt.connect(url, { clientId: box, username: box, password: BOX_SECRET, clean: false, protocolVersion: 4, reconnectPeriod: 100, ...opts });
  if (onMessage) c.on('message', onMessage);
  await new Promise<void>((resolve, reject) => {
    c.once('connect', () => resolve());
    c.once('error', reject);
  });
  return c;
}

/** Resolves with the first message on `topic` that passes `pred`. */
export function nextMessage(c: MqttClient, topic: string, pred: (payload: Buffer) => boolean = () => true, timeoutMs = 10_000): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    const t = setTimeout(() => { c.off('message', on); reject(new Error(`no message on ${topic} in ${timeoutMs} ms`)); }, timeoutMs);
    function on(tp: string, p: Buffer) {
      if (tp === topic && pred(p)) { clearTimeout(t); c.off('message', on); resolve(p); }
    }
    c.on('message', on);
  });
}

export async function waitFor(cond: () => boolean, timeoutMs = 10_000, why: () => string | Promise<string> = () => ''): Promise<void> {
  const end = Date.now() + timeoutMs;
  const stepMs = 20;
  while (!cond()) {
    if (Date.now() > end) throw new Error(`condition not met in ${timeoutMs} ms ${await why()}`);
    await new Promise((r) => setTimeout(r, stepMs));
  }
}

/** The per-receipt entries of an ack message; [] for anything that is not one. */
export function ackEntries(payload: Buffer): ReceiptAck[] {
  const r = parsePayload(ackMessage, payload);
  return r.ok ? r.value.acks : [];
}

/** Collects every ack entry a box client receives, by receipt id. */
export function collectAcks(c: MqttClient, ackTopic: string): Map<string, ReceiptAck[]> {
  const acks = new Map<string, ReceiptAck[]>();
  c.on('message', (topic, p) => {
    if (topic !== ackTopic) return;
    for (const a of ackEntries(p)) acks.set(a.receipt_id, [...(acks.get(a.receipt_id) ?? []), a]);
  });
  return acks;
}
