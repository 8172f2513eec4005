// The hub's logic as an ordinary MQTT 3.1.1 client (works against aedes or Mosquitto alike):
// receives documents and telemetry, validates them against the shared contract, stores
// documents durably (batched per burst), and acks each to its box after the commit.
//
// Delivery guarantee: end to end, not per hop. The box marks a document delivered only on
// the hub's ack message, which leaves here after the SQLite commit; the box republishes any
// document not acked in time, and the hub dedupes by receipt id (only the same box's same
// FN + FD number counts as a republish; anything else under a known id is refused, unacked).
// MQTT PUBACKs from this client are therefore sent on receipt (mqtt.js handles one message at
// a time, so holding them until the commit would cost one fsync per message).
import mqtt, { type MqttClient } from 'mqtt';
import { randomUUID } from 'node:crypto';
import { EventEmitter } from 'node:events';
import type { Logger } from '../../shared/logger.js';
import {
  ackMessage, boxStatusMessage, documentMessage, encodePayload, heartbeatMessage, hubStatusMessage, parsePayload, powerMessage,
  MAX_ACKS_PER_MESSAGE, syncCommand, type BoxStatusMessage, type DocumentMessage, type HeartbeatMessage, type HubStatusMessage,
  type PowerMessage, type ReceiptAck,
} from '../../shared/mqtt/messages.js';
import { boxTopics, HUB_STATUS_TOPIC, HUB_SUBSCRIPTIONS, parseBoxTopic, type BoxAddress } from '../../shared/mqtt/topics.js';
import { groupCommitFor } from '../db/group-commit.js';
import type { DocumentStore, InsertOutcome } from './document-store.js';

export interface IngestOptions {
  url: string;
  username: string;
  password: string;
  clientId?: string;
  store: DocumentStore;
  logger: Logger;
  /** Reconnect period; tests lower it. */
  reconnectPeriodMs?: number;
}

export interface IngestEvents {
  stored: [count: number];
  heartbeat: [addr: BoxAddress, msg: HeartbeatMessage];
  status: [addr: BoxAddress, msg: BoxStatusMessage];
  power: [addr: BoxAddress, msg: PowerMessage];
  malformed: [topic: string, reason: string];
}

interface Pending { topic: string; payload: Buffer; addr: BoxAddress; msg: DocumentMessage }

export class Ingest extends EventEmitter<IngestEvents> {
  readonly #opts: IngestOptions;
  #client: MqttClient | null = null;
  #batch: Pending[] = [];
  #scheduled = false;
  #stats = { received: 0, stored: 0, duplicates: 0, malformed: 0 };
  readonly #acks = new Map<string, { addr: BoxAddress; entries: ReceiptAck[]; due: ReceiptAck[] }>();
  #acksScheduled = false;

  constructor(opts: IngestOptions) {
    super();
    this.#opts = opts;
  }

  get stats() { return { ...this.#stats }; }
  get connected(): boolean { return this.#client?.connected ?? false; }

  /**
   * Connects and subscribes. `status` is asked afresh on every (re)connect: a reconnect must
   * republish the hub's current state (e.g. breaker open), never the one it started with.
   */
  async start(status: HubStatusMessage | (() => HubStatusMessage)): Promise<void> {
    const current = typeof status === 'function' ? status : () => status;
    const o = this.#opts;
    const offline: HubStatusMessage = { v: 1, state: 'offline', at: new Date().toISOString() };
    const client = mqtt.connect(o.url, {
      clientId: o.clientId ?? '_hub-ingest',
      username: o.username,
      password: o.password,
      clean: false,
      protocolVersion: 4,
      reconnectPeriod: o.reconnectPeriodMs ?? 1000,
      will: { topic: HUB_STATUS_TOPIC, payload: encodePayload(hubStatusMessage, offline), qos: 1, retain: true },
    });
    this.#client = client;
    client.on('message', (topic, payload) => this.#onMessage(topic, payload));
    client.on('error', (err) => o.logger.warn({ err: err.message }, 'hub mqtt client error'));
    client.on('connect', (ack) => {
      o.logger.info({ sessionPresent: ack.sessionPresent }, 'hub connected to broker');
      this.publishHubStatus({ ...current(), at: new Date().toISOString() });
      this.#resendDueAcks();
    });
    await new Promise<void>((resolve, reject) => {
      client.once('connect', () => resolve());
      client.once('error', reject);
    });
    // Subscribing on every start is harmless with a present session and needed without one.
    await client.subscribeAsync(Object.values(HUB_SUBSCRIPTIONS).map((t) => ({ topic: t, qos: 1 as const })).reduce(
      (acc, s) => ({ ...acc, [s.topic]: { qos: s.qos } }), {} as Record<string, { qos: 1 }>));
  }

  async stop(graceful = true): Promise<void> {
    const c = this.#client;
    if (!c) return;
    this.#client = null;
    if (this.#scheduled) this.#flush();
    groupCommitFor(this.#opts.store.db).flush();
    await new Promise((r) => setImmediate(r));
    if (this.#acksScheduled) this.#flushAcks();
    if (graceful) this.publishHubStatus({ v: 1, state: 'offline', at: new Date().toISOString() });
    await c.endAsync(!graceful);
  }

  /** Queues the document's current state for its box; sent with the rest of this turn's acks. */
  publishAck(addr: BoxAddress, receiptId: string, result: 'stored' | 'duplicate'): void {
    this.#queueAck(addr, receiptId, result, false);
  }

  /**
   * Asks a box to drain its outbox now (`cmd/sync`, QoS 1: the broker keeps it for a box that
   * is offline with its persistent session). Resolves with the request id once the broker has
   * it; null when the hub's own MQTT client is not connected.
   */
  async requestSync(addr: BoxAddress): Promise<string | null> {
    const c = this.#client;
    if (!c?.connected) return null;
    const command = { v: 1 as const, request_id: randomUUID(), issued_at: new Date().toISOString() };
    await c.publishAsync(boxTopics(addr).cmd('sync'), encodePayload(syncCommand, command), { qos: 1 });
    return command.request_id;
  }

  /**
   * Sends a document's new OFD state (ticket or dead) to its box and clears the document's
   * ack_due once the broker has acknowledged it. Unsent ones are resent on every (re)connect.
   */
  notifyBox(addr: BoxAddress, receiptId: string): void {
    this.#queueAck(addr, receiptId, 'stored', true);
  }

  #queueAck(addr: BoxAddress, receiptId: string, result: 'stored' | 'duplicate', clearsDue: boolean): void {
    const entry = this.#opts.store.ackFor(receiptId, result);
    if (!entry) return;
    const key = `${addr.store}/${addr.box}`;
    let box = this.#acks.get(key);
    if (!box) this.#acks.set(key, box = { addr, entries: [], due: [] });
    box.entries.push(entry);
    if (clearsDue) box.due.push(entry);
    if (!this.#acksScheduled) {
      this.#acksScheduled = true;
      setImmediate(() => this.#flushAcks());
    }
  }

  #flushAcks(): void {
    this.#acksScheduled = false;
    const boxes = [...this.#acks.values()];
    this.#acks.clear();
    const c = this.#client;
    if (!c) return;
    const hubTime = new Date().toISOString();
    for (const { addr, entries, due } of boxes) {
      for (let i = 0; i < entries.length; i += MAX_ACKS_PER_MESSAGE) {
        const chunk = entries.slice(i, i + MAX_ACKS_PER_MESSAGE);
        const dueHere = due.filter((d) => chunk.includes(d));
        c.publishAsync(boxTopics(addr).ack, encodePayload(ackMessage, { v: 1, hub_time: hubTime, acks: chunk }), { qos: 1 })
          .then(() => {
            if (dueHere.length) this.#opts.store.db.transaction(() => { for (const d of dueHere) this.#opts.store.ackSent(d.receipt_id, d.ofd.status); })();
            if (dueHere.length) this.#opts.logger.debug({ count: dueHere.length, box: addr.box }, 'box notified of OFD results');
          })
          .catch((err: Error) => this.#opts.logger.debug({ err: err.message, box: addr.box }, 'acks not taken by the broker; OFD results are resent on reconnect'));
      }
    }
  }

  #resendDueAcks(): void {
    const due = this.#opts.store.dueAcks(100_000);
    if (due.length) this.#opts.logger.info({ count: due.length }, 'resending OFD results the boxes have not been sent');
    for (const d of due) this.notifyBox({ store: d.store_id, box: d.box_id }, d.receipt_id);
  }

  publishHubStatus(status: HubStatusMessage): void {
    this.#client?.publish(HUB_STATUS_TOPIC, encodePayload(hubStatusMessage, status), { qos: 1, retain: true });
  }

  #malformed(topic: string, payload: Buffer, reason: string): void {
    this.#stats.malformed++;
    this.#opts.logger.warn({ topic, reason }, 'malformed mqtt message moved to the hub DLQ');
    try {
      this.#opts.store.addMalformed(topic, payload, reason);
    } catch (err) {
      this.#opts.logger.error({ err: (err as Error).message }, 'could not record a malformed message');
    }
    this.emit('malformed', topic, reason);
  }

  #onMessage(topic: string, payload: Buffer): void {
    try {
      this.#route(topic, payload);
    } catch (err) {
      // Whatever a message does, the hub keeps running.
      this.#malformed(topic, payload, `handler failed: ${(err as Error).message}`);
    }
  }

  #route(topic: string, payload: Buffer): void {
    const t = parseBoxTopic(topic);
    if (!t || t.rest.length) return this.#malformed(topic, payload, 'not a box topic of contract v1');
    const addr = { store: t.store, box: t.box };
    switch (t.kind) {
      case 'receipt': {
        this.#stats.received++;
        const r = parsePayload(documentMessage, payload);
        if (!r.ok) return this.#malformed(topic, payload, r.reason);
        if (r.value.store_id !== t.store || r.value.box_id !== t.box) {
          return this.#malformed(topic, payload, `store_id/box_id ${r.value.store_id}/${r.value.box_id} do not match the topic ${t.store}/${t.box}`);
        }
        this.#batch.push({ topic, payload, addr, msg: r.value });
        if (!this.#scheduled) {
          this.#scheduled = true;
          setImmediate(() => this.#flush());
        }
        return;
      }
      case 'heartbeat': {
        const r = parsePayload(heartbeatMessage, payload);
        if (!r.ok) return this.#malformed(topic, payload, r.reason);
        if (r.value.store_id !== t.store || r.value.box_id !== t.box) return this.#malformed(topic, payload, 'store_id/box_id do not match the topic');
        this.emit('heartbeat', addr, r.value);
        return;
      }
      case 'status': {
        if (payload.length === 0) return; // a cleared retained message
        const r = parsePayload(boxStatusMessage, payload);
        if (!r.ok) return this.#malformed(topic, payload, r.reason);
        this.emit('status', addr, r.value);
        return;
      }
      case 'power': {
        if (payload.length === 0) return;
        const r = parsePayload(powerMessage, payload);
        if (!r.ok) return this.#malformed(topic, payload, r.reason);
        this.emit('power', addr, r.value);
        return;
      }
      default:
        return this.#malformed(topic, payload, `unknown message kind ${t.kind}`);
    }
  }

  #flush(): void {
    this.#scheduled = false;
    const batch = this.#batch;
    this.#batch = [];
    if (!batch.length) return;
    groupCommitFor(this.#opts.store.db).run(() => this.#opts.store.insertMany(batch.map((b) => b.msg)))
      .then((outcomes) => this.#afterStore(batch, outcomes))
      .catch((err: Error) => {
        // Not acked: the box will republish. Log loudly; the disk may be full.
        this.#opts.logger.error({ err: err.message, count: batch.length }, 'could not store documents; boxes will resend');
      });
  }

  #afterStore(batch: Pending[], outcomes: InsertOutcome[]): void {
    let stored = 0;
    batch.forEach((b, i) => {
      const o = outcomes[i];
      if (o === undefined) return;
      // Not acked: an ack of any kind would tell the box its document is at the hub. The box
      // keeps it unsent and publishes it again, so it stays visible until someone looks.
      if (typeof o === 'object') return this.#malformed(b.topic, b.payload, o.refused);
      if (o === 'stored') stored++; else this.#stats.duplicates++;
      this.publishAck(b.addr, b.msg.receipt_id, o);
    });
    this.#stats.stored += stored;
    if (stored) this.emit('stored', stored);
  }
}
