// An aedes persistence that survives kill -9: aedes-persistence's in-memory implementation
// does the topic matching (its Qlobber trie), and every change is written through to SQLite
// (WAL, synchronous=FULL) before the promise aedes waits on resolves. aedes sends PUBACK only
// after outgoingEnqueueCombi resolves, so a QoS 1 message the broker acknowledged is on disk
// for every persistent subscriber. Writes issued in the same tick share one transaction
// (group commit, shared with the ingest), which keeps one fsync per burst instead of one per message.
//
// Why not aedes-persistence-level: it needs a LevelDB native build and was only seen to keep
// state across a graceful restart; this one is tested across kill -9 (tests/integration).
import { createRequire } from 'node:module';
import type { Statement } from 'better-sqlite3';
import type { Db } from '../../shared/db.js';
import { migrate } from '../../shared/db.js';
import { groupCommitFor, type GroupCommit } from '../db/group-commit.js';

const require = createRequire(import.meta.url);
const MemoryPersistence = require('aedes-persistence/asyncPersistence.js') as new (opts?: object) => MemoryBase;

/* Minimal shapes of what aedes hands us; aedes-persistence's own types are not exported. */
interface PacketLike {
  topic: string;
  payload: Buffer | string;
  qos?: number;
  retain?: boolean;
  messageId?: number;
  brokerId?: string;
  brokerCounter?: number;
  [k: string]: unknown;
}
interface ClientLike { id: string }
interface SubLike { topic: string; qos: number; rh?: number; rap?: number; nl?: number }

interface MemoryBase {
  setup(broker: unknown): Promise<void>;
  storeRetained(p: PacketLike): Promise<void>;
  addSubscriptions(c: ClientLike, subs: SubLike[]): Promise<void>;
  removeSubscriptions(c: ClientLike, topics: string[]): Promise<void>;
  subscriptionsByClient(c: ClientLike): Promise<SubLike[]>;
  cleanSubscriptions(c: ClientLike): Promise<void>;
  outgoingEnqueue(sub: { clientId: string }, p: PacketLike): Promise<void>;
  outgoingEnqueueCombi(subs: { clientId: string }[], p: PacketLike): Promise<void>;
  outgoingUpdate(c: ClientLike, p: PacketLike): Promise<void>;
  outgoingClearMessageId(c: ClientLike, p: PacketLike): Promise<PacketLike | undefined>;
  incomingStorePacket(c: ClientLike, p: PacketLike): Promise<void>;
  incomingDelPacket(c: ClientLike, p: PacketLike): Promise<void>;
  cleanIncoming(c: ClientLike): Promise<void>;
  putWill(c: ClientLike, p: PacketLike): Promise<void>;
  getWill(c: ClientLike): Promise<PacketLike | undefined>;
  delWill(c: ClientLike): Promise<PacketLike | undefined>;
  destroy(): Promise<void>;
}

const MIGRATIONS = [{
  version: 1,
  name: 'aedes state',
  up: `
    CREATE TABLE mqtt_retained (topic TEXT PRIMARY KEY, packet TEXT NOT NULL);
    CREATE TABLE mqtt_subscriptions (client_id TEXT NOT NULL, topic TEXT NOT NULL, sub TEXT NOT NULL,
      PRIMARY KEY (client_id, topic));
    CREATE TABLE mqtt_outgoing (seq INTEGER PRIMARY KEY AUTOINCREMENT, client_id TEXT NOT NULL,
      broker_id TEXT NOT NULL, broker_counter INTEGER NOT NULL, packet TEXT NOT NULL);
    CREATE INDEX mqtt_outgoing_key ON mqtt_outgoing (client_id, broker_id, broker_counter);
    CREATE TABLE mqtt_incoming (client_id TEXT NOT NULL, message_id INTEGER NOT NULL, packet TEXT NOT NULL,
      PRIMARY KEY (client_id, message_id));
    CREATE TABLE mqtt_wills (client_id TEXT PRIMARY KEY, packet TEXT NOT NULL);`,
}];

function toJson(p: PacketLike): string {
  const payload = typeof p.payload === 'string' ? Buffer.from(p.payload) : p.payload;
  return JSON.stringify({ ...p, payload: payload.toString('base64') });
}

function fromJson(text: string): PacketLike {
  const o = JSON.parse(text) as PacketLike & { payload: string };
  return { ...o, payload: Buffer.from(o.payload, 'base64') };
}

type Op = () => void;

export class SqlitePersistence extends MemoryPersistence {
  readonly #db: Db;
  readonly #commit: GroupCommit;
  #restoring = false;
  #closed = false;
  readonly #stmts = new Map<string, Statement>();

  /** Statements are compiled once: the write path runs for every QoS 1 message. */
  #st(sql: string): Statement {
    let st = this.#stmts.get(sql);
    if (!st) { st = this.#db.prepare(sql); this.#stmts.set(sql, st); }
    return st;
  }

  constructor(db: Db) {
    super();
    this.#db = db;
    this.#commit = groupCommitFor(db);
    migrate(db, 'mqtt', MIGRATIONS);
  }

  /** Queues a write; resolves once the transaction holding it has committed. */
  #write(op: Op): Promise<void> {
    if (this.#restoring || this.#closed) return Promise.resolve();
    return this.#commit.run(op);
  }

  override async setup(broker: unknown): Promise<void> {
    await super.setup(broker);
    this.#restoring = true;
    try {
      const db = this.#db;
      for (const r of db.prepare('SELECT packet FROM mqtt_retained').all() as { packet: string }[]) {
        await super.storeRetained(fromJson(r.packet));
      }
      const subs = db.prepare('SELECT client_id, sub FROM mqtt_subscriptions ORDER BY client_id').all() as { client_id: string; sub: string }[];
      for (const r of subs) await super.addSubscriptions({ id: r.client_id }, [JSON.parse(r.sub) as SubLike]);
      for (const r of db.prepare('SELECT client_id, packet FROM mqtt_outgoing ORDER BY seq').all() as { client_id: string; packet: string }[]) {
        await super.outgoingEnqueue({ clientId: r.client_id }, fromJson(r.packet));
      }
      for (const r of db.prepare('SELECT client_id, packet FROM mqtt_incoming').all() as { client_id: string; packet: string }[]) {
        await super.incomingStorePacket({ id: r.client_id }, fromJson(r.packet));
      }
      for (const r of db.prepare('SELECT client_id, packet FROM mqtt_wills').all() as { client_id: string; packet: string }[]) {
        const will = fromJson(r.packet);
        const deadBroker = will.brokerId;
        await super.putWill({ id: r.client_id }, will);
        // putWill stamps the current broker id; restore the dead one so aedes publishes the
        // will of a client whose broker died (kill -9) instead of waiting for that broker.
        will.brokerId = deadBroker;
      }
    } finally {
      this.#restoring = false;
    }
  }

  override async storeRetained(p: PacketLike): Promise<void> {
    await super.storeRetained(p);
    const empty = p.payload.length === 0;
    const json = empty ? '' : toJson(p);
    await this.#write(() => {
      if (empty) this.#st('DELETE FROM mqtt_retained WHERE topic = ?').run(p.topic);
      else this.#st('INSERT OR REPLACE INTO mqtt_retained (topic, packet) VALUES (?, ?)').run(p.topic, json);
    });
  }

  override async addSubscriptions(c: ClientLike, subs: SubLike[]): Promise<void> {
    await super.addSubscriptions(c, subs);
    const rows = subs.map((s) => [s.topic, JSON.stringify({ topic: s.topic, qos: s.qos, rh: s.rh, rap: s.rap, nl: s.nl })] as const);
    await this.#write(() => {
      const st = this.#st('INSERT OR REPLACE INTO mqtt_subscriptions (client_id, topic, sub) VALUES (?, ?, ?)');
      for (const [topic, sub] of rows) st.run(c.id, topic, sub);
    });
  }

  override async removeSubscriptions(c: ClientLike, topics: string[]): Promise<void> {
    await super.removeSubscriptions(c, topics);
    await this.#write(() => {
      const st = this.#st('DELETE FROM mqtt_subscriptions WHERE client_id = ? AND topic = ?');
      for (const t of topics) st.run(c.id, t);
    });
  }

  override async cleanSubscriptions(c: ClientLike): Promise<void> {
    await super.cleanSubscriptions(c);
    await this.#write(() => {
      this.#st('DELETE FROM mqtt_subscriptions WHERE client_id = ?').run(c.id);
      this.#st('DELETE FROM mqtt_outgoing WHERE client_id = ?').run(c.id);
    });
  }

  #enqueueRow(clientId: string, p: PacketLike): Op {
    const json = toJson(p);
    return () => {
      this.#st('INSERT INTO mqtt_outgoing (client_id, broker_id, broker_counter, packet) VALUES (?, ?, ?, ?)')
        .run(clientId, p.brokerId ?? '', p.brokerCounter ?? 0, json);
    };
  }

  override async outgoingEnqueue(sub: { clientId: string }, p: PacketLike): Promise<void> {
    await super.outgoingEnqueue(sub, p);
    await this.#write(this.#enqueueRow(sub.clientId, p));
  }

  override async outgoingEnqueueCombi(subs: { clientId: string }[], p: PacketLike): Promise<void> {
    await super.outgoingEnqueueCombi(subs, p);
    if (subs.length === 0) return;
    const ops = subs.map((s) => this.#enqueueRow(s.clientId, p));
    await this.#write(() => { for (const op of ops) op(); });
  }

  // Not written through: the message id only matters within one connection. After a restart
  // aedes streams the stored packets and assigns fresh ids (outgoingUpdate again), so a lost
  // update costs at most one QoS 1 redelivery, which every receiver here dedupes.
  override async outgoingUpdate(c: ClientLike, p: PacketLike): Promise<void> {
    await super.outgoingUpdate(c, p);
  }

  override async outgoingClearMessageId(c: ClientLike, p: PacketLike): Promise<PacketLike | undefined> {
    const removed = await super.outgoingClearMessageId(c, p);
    if (removed) {
      await this.#write(() => {
        this.#st(`DELETE FROM mqtt_outgoing WHERE seq = (SELECT seq FROM mqtt_outgoing
          WHERE client_id = ? AND broker_id = ? AND broker_counter = ? ORDER BY seq LIMIT 1)`)
          .run(c.id, removed.brokerId ?? '', removed.brokerCounter ?? 0);
      });
    }
    return removed;
  }

  override async incomingStorePacket(c: ClientLike, p: PacketLike): Promise<void> {
    await super.incomingStorePacket(c, p);
    const json = toJson(p);
    await this.#write(() => {
      this.#st('INSERT OR REPLACE INTO mqtt_incoming (client_id, message_id, packet) VALUES (?, ?, ?)').run(c.id, p.messageId ?? 0, json);
    });
  }

  override async incomingDelPacket(c: ClientLike, p: PacketLike): Promise<void> {
    await super.incomingDelPacket(c, p);
    await this.#write(() => {
      this.#st('DELETE FROM mqtt_incoming WHERE client_id = ? AND message_id = ?').run(c.id, p.messageId ?? 0);
    });
  }

  override async cleanIncoming(c: ClientLike): Promise<void> {
    await super.cleanIncoming(c);
    await this.#write(() => { this.#st('DELETE FROM mqtt_incoming WHERE client_id = ?').run(c.id); });
  }

  override async putWill(c: ClientLike, p: PacketLike): Promise<void> {
    await super.putWill(c, p);
    const json = toJson(p);
    await this.#write(() => {
      this.#st('INSERT OR REPLACE INTO mqtt_wills (client_id, packet) VALUES (?, ?)').run(c.id, json);
    });
  }

  override async delWill(c: ClientLike): Promise<PacketLike | undefined> {
    const will = await super.delWill(c);
    await this.#write(() => { this.#st('DELETE FROM mqtt_wills WHERE client_id = ?').run(c.id); });
    return will;
  }

  /**
   * Forgets a stored will that must never be published (aedes would retry it every round),
   * unless its client has since stored a newer one.
   */
  async discardWill(will: { clientId?: unknown }): Promise<void> {
    const id = will.clientId;
    if (typeof id !== 'string' || (await this.getWill({ id })) !== will) return;
    await this.delWill({ id });
  }

  override async destroy(): Promise<void> {
    this.#commit.flush();
    this.#closed = true;
    await super.destroy();
  }
}
