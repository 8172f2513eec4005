// The box's uplink to the hub (docs/mqtt-topics.md): mqtt.js with a stable client id,
// clean:false, QoS 1. The SQLite buffer is the outbox; nothing depends on the client's
// in-memory queue. Printed documents are published in HLC order with at most `window`
// unacknowledged; the hub's ack marks them delivered, an ack with the OFD ticket marks them
// synced after the ticket was handed back to the FN. On every connect the box republishes
// delivered documents that still have no ticket, so an ack lost anywhere is recovered.
import mqtt, { type MqttClient } from 'mqtt';
import { EventEmitter } from 'node:events';
import type { Logger } from '../../shared/logger.js';
import {
  ackMessage, boxStatusMessage, encodePayload, hubStatusMessage, parsePayload, powerMessage, documentMessage, syncCommand,
  type BreakerStateName, type PowerMessage, type ReceiptAck,
} from '../../shared/mqtt/messages.js';
import { boxTopics, HUB_STATUS_TOPIC } from '../../shared/mqtt/topics.js';
import type { ReceiptBuffer } from '../buffer/receipt-buffer.js';
import type { UplinkConfig } from './config.js';
import type { FnBridge } from './fn-bridge.js';
import { Outbox } from './outbox.js';

export interface UplinkEvents {
  delivered: [id: string];
  synced: [id: string];
  connected: [];
  disconnected: [];
}

/** Documents prepared (and their new TLVs committed) together before publishing. */
const PUBLISH_CHUNK = 50;

export class SyncBusy extends Error {
  constructor() { super('a drain is already running'); this.name = 'SyncBusy'; }
}

export class Uplink extends EventEmitter<UplinkEvents> {
  readonly outbox: Outbox;
  readonly address: { store: string; box: string };
  readonly topics: ReturnType<typeof boxTopics>;
  #client: MqttClient | null = null;
  /** Published, not yet acked: receipt id -> time published. */
  readonly #inFlight = new Map<string, number>();
  #pumping = false;
  #again = false;
  #poll: NodeJS.Timeout | null = null;
  #reask: NodeJS.Timeout | null = null;
  #syncing: Promise<{ published: number }> | null = null;
  #published = 0;
  hubBreaker: BreakerStateName | null = null;
  hubOnline: boolean | null = null;

  constructor(private readonly cfg: UplinkConfig & { boxId: string }, private readonly buffer: ReceiptBuffer, readonly fn: FnBridge, private readonly log: Logger) {
    super();
    this.address = { store: cfg.storeId, box: cfg.boxId };
    this.topics = boxTopics(this.address);
    this.outbox = new Outbox(buffer, fn, this.address);
  }

  get connected(): boolean { return this.#client?.connected ?? false; }
  get inFlight(): number { return this.#inFlight.size; }
  get syncing(): boolean { return this.#syncing !== null; }

  start(): void {
    const offline = encodePayload(boxStatusMessage, { v: 1, state: 'offline', at: new Date().toISOString(), reason: 'last will' });
    const c = mqtt.connect(this.cfg.url, {
      clientId: this.cfg.boxId, username: this.cfg.boxId, password: this.cfg.secret, clean: false, protocolVersion: 4,
      reconnectPeriod: 1000, connectTimeout: 10_000, will: { topic: this.topics.status, payload: offline, qos: 1, retain: true },
    });
    this.#client = c;
    c.on('connect', (ack) => {
      this.log.info({ sessionPresent: ack.sessionPresent }, 'uplink connected to the hub');
      // Whatever was in flight is republished; the hub dedupes.
      this.#inFlight.clear();
      const subs = { [this.topics.ack]: { qos: 1 as const }, [this.topics.cmdAll]: { qos: 1 as const } };
      if (!ack.sessionPresent) c.subscribe(subs);
      // Always (re)subscribe to the hub's retained status: a repeated SUBSCRIBE makes the broker
      // send the retained message again, so after any reconnect the box holds the hub's latest
      // breaker state even if a live update was missed while the link was down.
      c.subscribe(HUB_STATUS_TOPIC, { qos: 1 });
      c.publish(this.topics.status, encodePayload(boxStatusMessage, { v: 1, state: 'online', at: new Date().toISOString() }), { qos: 1, retain: true });
      this.emit('connected');
      void this.#resync().then(() => this.pump());
    });
    c.on('close', () => this.emit('disconnected'));
    c.on('error', (err) => this.log.debug({ err: err.message }, 'uplink mqtt error'));
    c.on('message', (topic, payload) => {
      try {
        this.#onMessage(topic, payload);
      } catch (err) {
        this.log.warn({ topic, err: (err as Error).message }, 'uplink could not handle a message');
      }
    });
    this.#poll = setInterval(() => this.pump(), this.cfg.pollMs);
    this.#poll.unref();
    // A ticket can miss the box without a reconnect: the hub was killed between confirming a
    // document and its ack reaching the box, or the FN was busy and did not take the ticket.
    // Waiting for the next reconnect could mean days (the FN's 30-day clock runs), so the
    // oldest delivered documents are asked about again every ackTimeoutMs, a window at a time.
    this.#reask = setInterval(() => {
      if (this.#client?.connected && this.outbox.counts().unsynced > 0) void this.#resync(this.cfg.window);
    }, this.cfg.ackTimeoutMs);
    this.#reask.unref();
  }

  async stop(): Promise<void> {
    if (this.#poll) clearInterval(this.#poll);
    if (this.#reask) clearInterval(this.#reask);
    const c = this.#client;
    this.#client = null;
    if (!c) return;
    if (c.connected) {
      await c.publishAsync(this.topics.status, encodePayload(boxStatusMessage, { v: 1, state: 'offline', at: new Date().toISOString(), reason: 'box stopped' }), { qos: 1, retain: true }).catch(() => {});
    }
    await c.endAsync();
  }

  /**
   * Publishes the retained power state (QoS 1). Offline, mqtt.js keeps it for the reconnect;
   * a restart loses it, which is fine: the next power state replaces it anyway.
   */
  publishPower(message: PowerMessage): Promise<void> {
    const c = this.#client;
    if (!c) return Promise.resolve();
    return c.publishAsync(this.topics.power, encodePayload(powerMessage, message), { qos: 1, retain: true }).then(() => undefined);
  }

  /** Publishes a heartbeat (QoS 1); resolves true when the broker acknowledged it in time. */
  async publishHeartbeat(payload: Buffer, timeoutMs = 5000): Promise<boolean> {
    const c = this.#client;
    if (!c?.connected) return false;
    const t = new Promise<boolean>((r) => setTimeout(() => r(false), timeoutMs).unref());
    return Promise.race([c.publishAsync(this.topics.heartbeat, payload, { qos: 1 }).then(() => true, () => false), t]);
  }

  /**
   * POST /v1/kkt/sync: drains now. A second call while one runs gets SyncBusy (HTTP 409).
   * Resolves when every document printed before the call has been published and acked, or
   * the link dropped.
   */
  sync(): Promise<{ published: number }> {
    if (this.#syncing) throw new SyncBusy();
    const start = this.#published;
    this.#syncing = (async () => {
      try {
        for (;;) {
          this.pump();
          const c = this.outbox.counts();
          if (!this.connected || (c.unsent === 0 && this.#inFlight.size === 0)) break;
          await new Promise((r) => setTimeout(r, 20));
        }
        return { published: this.#published - start };
      } finally {
        this.#syncing = null;
      }
    })();
    return this.#syncing;
  }

  /** Publishes unsent documents in HLC order up to the window. Safe to call any time. */
  pump(): void {
    if (this.#pumping) { this.#again = true; return; }
    this.#pumping = true;
    void this.#pumpLoop().finally(() => { this.#pumping = false; });
  }

  async #pumpLoop(): Promise<void> {
    do {
      this.#again = false;
      const c = this.#client;
      if (!c?.connected) return;
      const now = Date.now();
      for (const [id, at] of this.#inFlight) if (now - at > this.cfg.ackTimeoutMs) this.#inFlight.delete(id);
      const room = this.cfg.window - this.#inFlight.size;
      if (room <= 0) return;
      const batch = this.outbox.unsent(room + this.#inFlight.size).filter((r) => !this.#inFlight.has(r.id)).slice(0, room);
      // In chunks: TLVs new to the cache are stored with one commit per chunk, and with a real
      // FN (one serial read per new TLV) the first documents go out without waiting for the lot.
      for (let i = 0; i < batch.length; i += PUBLISH_CHUNK) {
        if (!this.#publishAll(c, await this.outbox.messages(batch.slice(i, i + PUBLISH_CHUNK)))) return;
      }
    } while (this.#again);
  }

  /** False when the link dropped on the way. */
  #publishAll(c: MqttClient, msgs: Awaited<ReturnType<Outbox['messages']>>): boolean {
    for (const m of msgs) {
      if (!m.ok) {
        this.log.error({ receipt_id: m.r.id, err: m.error.message }, 'document cannot be sent; check its fiscal data');
        continue;
      }
      let payload: Buffer;
      try {
        payload = encodePayload(documentMessage, m.message);
      } catch (err) {
        this.log.error({ receipt_id: m.r.id, err: (err as Error).message }, 'document cannot be sent; check its fiscal data');
        continue;
      }
      if (!c.connected) return false;
      this.#inFlight.set(m.r.id, Date.now());
      this.#published++;
      c.publish(this.topics.receipt, payload, { qos: 1 });
    }
    return true;
  }

  /** Delivered documents without a ticket are published again: the hub answers with their state. */
  async #resync(limit = 10_000): Promise<void> {
    const c = this.#client;
    if (!c) return;
    let republished = 0;
    for (const r of this.outbox.unsynced(limit)) {
      try {
        c.publish(this.topics.receipt, encodePayload(documentMessage, await this.outbox.message(r)), { qos: 1 });
        republished++;
      } catch (err) {
        this.log.warn({ receipt_id: r.id, err: (err as Error).message }, 'could not republish a delivered document');
      }
    }
    if (republished) this.log.info({ republished }, 'asked the hub again about delivered documents without a ticket');
  }

  #onMessage(topic: string, payload: Buffer): void {
    if (topic === this.topics.ack) {
      const r = parsePayload(ackMessage, payload);
      if (!r.ok) return this.log.warn({ reason: r.reason }, 'malformed ack from the hub');
      void this.#onAcks(r.value.acks, r.value.hub_time).finally(() => this.pump());
    } else if (topic === HUB_STATUS_TOPIC) {
      const r = parsePayload(hubStatusMessage, payload);
      if (r.ok) { this.hubBreaker = r.value.ofd?.breaker ?? null; this.hubOnline = r.value.state === 'online'; }
    } else if (topic === this.topics.cmd('sync')) {
      if (parsePayload(syncCommand, payload).ok) {
        try { void this.sync(); } catch { /* already draining */ }
      }
    }
  }

  /**
   * One ack message: every newly acknowledged document becomes delivered in one transaction;
   * tickets are handed to the FN one by one (the FN takes them in order), then the documents
   * whose ticket the FN took become synced in one transaction.
   */
  async #onAcks(acks: ReceiptAck[], hubTime: string): Promise<void> {
    const delivered: string[] = [];
    this.buffer.db.transaction(() => {
      for (const a of acks) {
        this.#inFlight.delete(a.receipt_id);
        if (this.buffer.get(a.receipt_id)?.status === 'printed') {
          this.buffer.markDelivered(a.receipt_id, hubTime);
          delivered.push(a.receipt_id);
        }
      }
    })();
    for (const id of delivered) this.emit('delivered', id);
    const taken: { id: string; at: string }[] = [];
    for (const a of acks) {
      if (a.ofd.status !== 'confirmed' || !a.ofd.ticket || this.buffer.get(a.receipt_id)?.status !== 'delivered') continue;
      try {
        await this.fn.handTicket(a.ofd.ticket);
        taken.push({ id: a.receipt_id, at: a.ofd.ticket.received_at });
      } catch (err) {
        // Stays delivered: the next reconnect republishes it and the ticket comes again.
        this.log.warn({ receipt_id: a.receipt_id, err: (err as Error).message }, 'the FN did not take the OFD ticket');
      }
    }
    const synced: string[] = [];
    this.buffer.db.transaction(() => {
      for (const x of taken) {
        if (this.buffer.get(x.id)?.status !== 'delivered') continue;
        this.buffer.markSynced(x.id, x.at);
        synced.push(x.id);
      }
    })();
    for (const id of synced) this.emit('synced', id);
  }
}
