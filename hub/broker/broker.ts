// The embedded MQTT broker (aedes 1.x, MQTT 3.1.1) with durable sessions, per-box
// credentials and the ACL. The hub's logic reaches it as an ordinary MQTT client over TCP,
// so an external broker (Mosquitto with a password file and ACL) can replace it.
import { Aedes, type AuthenticateError, type Client } from 'aedes';
import type { EventEmitter } from 'node:events';
import { createServer, type Server } from 'node:net';
import type { AddressInfo } from 'node:net';
import type { Writable } from 'node:stream';
import type { Db } from '../../shared/db.js';
import type { Logger } from '../../shared/logger.js';
import { mayPublish, maySubscribe, mayUseClientId, type AclDecision } from './acl.js';
import { holdUntilConnack } from './connack-first.js';
import type { BoxRegistry, Principal } from './box-registry.js';
import { capPacketSize } from './packet-limit.js';
import { SqlitePersistence } from './sqlite-persistence.js';
import { ownerOf, stampOwner, type StoredWill } from './wills.js';

/** Well above the largest legitimate message (a receipt of 100 items with its TLV: ~200 KB). */
export const DEFAULT_MAX_PACKET_BYTES = 1024 * 1024;

export type RefusalAction = 'connect' | 'publish' | 'subscribe' | 'will' | 'packet';

/** What the broker turned away and why; `store`/`box` only once the client proved who it is. */
export interface Refusal {
  action: RefusalAction;
  /** A fixed code (metric label): bad_credentials, client_id, foreign_topic, too_large, ... */
  code: string;
  reason: string;
  clientId: string | null;
  store?: string;
  box?: string;
}

export interface BrokerOptions {
  db: Db;
  registry: BoxRegistry;
  logger: Logger;
  host?: string;
  port?: number;
  /** How often aedes checks for dead brokers' wills; tests lower it. */
  heartbeatIntervalMs?: number;
  /** Largest packet (remaining length) a box or an unauthenticated client may send. */
  maxPacketBytes?: number;
  /** Every refusal, already logged; the hub counts them (hub_broker_refused_total). */
  onRefused?: (r: Refusal) => void;
}

export interface RunningBroker {
  aedes: Aedes;
  port: number;
  host: string;
  url: string;
  close(): Promise<void>;
}

const principals = new WeakMap<Client, Principal>();

function authError(message: string, code: number): AuthenticateError {
  return Object.assign(new Error(message), { returnCode: code }) as AuthenticateError;
}

/**
 * Turns off aedes' per-client "dedupe". aedes stamps each publish with a rising counter and
 * drops any packet for a client whose counter is below one it already delivered - meant for
 * clustered brokers, where one message can arrive twice. On our single broker it only drops
 * real messages: a retained publish is stored (async) before it is routed, so an ack
 * published right after it overtook it, and the hub status was silently lost for that box
 * (tests/integration/broker-ordering.test.ts). Without it, the rare duplicate is what QoS 1
 * allows anyway, and the box handles acks and statuses idempotently.
 */
function keepEveryDelivery(client: Client): void {
  (client as unknown as { duplicates: Record<string, number> }).duplicates = new Proxy(Object.create(null) as Record<string, number>, {
    get: () => Number.NEGATIVE_INFINITY,
    set: () => true,
  });
}

class WillRefusedError extends Error {}

/** An ACL decision, or one of the broker's own refusals (its codes are not the ACL's). */
type Decision = AclDecision | { ok: false; code: string; reason: string };
const denied = (code: string, reason: string): Decision => ({ ok: false, code, reason });

export async function startBroker(opts: BrokerOptions): Promise<RunningBroker> {
  const log = opts.logger;
  const maxPacketBytes = opts.maxPacketBytes ?? DEFAULT_MAX_PACKET_BYTES;
  const persistence = new SqlitePersistence(opts.db);
  const connectWills = new WeakMap<Client, StoredWill>();

  function refuse(action: RefusalAction, d: { code: string; reason: string }, clientId: string | null, p?: Principal | null, extra: object = {}): void {
    const who = p?.role === 'box' ? { store: p.store, box: p.box } : {};
    log.warn({ clientId, ...who, ...extra }, `mqtt ${action} refused: ${d.reason}`);
    opts.onRefused?.({ action, code: d.code, reason: d.reason, clientId, ...who });
  }

  /** A will published with no client attached: a dead broker's, checked against its owner now. */
  async function authorizeOrphanWill(will: StoredWill): Promise<void> {
    const owner = ownerOf(opts.registry, will);
    const d = owner ? mayPublish(owner, will.topic) : denied('unknown_owner', 'its owner is unknown or disabled');
    if (d.ok) return;
    const clientId = typeof will.clientId === 'string' ? will.clientId : null;
    refuse('will', d, clientId, owner, { topic: will.topic });
    await persistence.discardWill(will);
    throw new WillRefusedError(`last will of ${clientId ?? '?'} on ${will.topic} refused: ${d.reason}`);
  }

  const aedes = await Aedes.createBroker({
    persistence,
    drainTimeout: 5000,
    heartbeatInterval: opts.heartbeatIntervalMs ?? 60_000,
    preConnect(client, packet, done) {
      holdUntilConnack(client.conn as Writable);
      keepEveryDelivery(client);
      if (packet.will) connectWills.set(client, packet.will);
      done(null, true);
    },
    authenticate(client, username, password, done) {
      const p = opts.registry.verify(username, password);
      if (!p) {
        // No labels from the wire: a username we did not verify must not become a metric series.
        refuse('connect', { code: 'bad_credentials', reason: 'bad username or secret' }, client.id, null, { username });
        return done(authError('bad username or password', 4), null);
      }
      const idCheck = mayUseClientId(p, client.id);
      if (!idCheck.ok) {
        refuse('connect', idCheck, client.id, p, { username });
        return done(authError(idCheck.reason, 5), null);
      }
      const will = connectWills.get(client);
      if (will) {
        const willCheck = mayPublish(p, will.topic);
        if (!willCheck.ok) {
          refuse('will', willCheck, client.id, p, { topic: will.topic });
          return done(authError(`last will: ${willCheck.reason}`, 5), null);
        }
        stampOwner(will, p);
      }
      principals.set(client, p);
      done(null, true);
    },
    authorizePublish(client, packet, done) {
      // aedes 1.x passes no client only when it publishes a will stored by a dead broker.
      if (!client) {
        authorizeOrphanWill(packet).then(() => done(null), (err: Error) => done(err));
        return;
      }
      const p = principals.get(client);
      const d = p ? mayPublish(p, packet.topic) : denied('not_authenticated', 'not authenticated');
      if (d.ok) return done(null);
      refuse('publish', d, client.id, p, { topic: packet.topic });
      done(new Error(d.reason));
    },
    authorizeSubscribe(client, sub, done) {
      const p = principals.get(client);
      const d = p ? maySubscribe(p, sub.topic) : denied('not_authenticated', 'not authenticated');
      if (d.ok) return done(null, sub);
      refuse('subscribe', d, client.id, p, { topic: sub.topic });
      // MQTT 3.1.1 has no per-topic refusal code besides 0x80: a null subscription gives it.
      done(null, null);
    },
  });
  // aedes emits a refused will's error here (already logged and counted). Anything else is what
  // aedes means as fatal ("error the whole aedes"), and stays fatal as with no listener.
  (aedes as EventEmitter).on('error', (err: Error) => {
    if (!(err instanceof WillRefusedError)) throw err;
  });
  aedes.on('clientError', (client, err) => log.debug({ clientId: client.id, err: err.message }, 'mqtt client error'));
  aedes.on('connectionError', (client, err) => log.debug({ clientId: client.id, err: err.message }, 'mqtt connection error'));
  aedes.on('client', (client) => log.debug({ clientId: client.id }, 'mqtt client connecting'));
  aedes.on('clientReady', (client) => log.debug({ clientId: client.id }, 'mqtt client ready'));
  aedes.on('ack', (packet, client) => log.trace({ clientId: client?.id, messageId: (packet as { messageId?: number } | undefined)?.messageId }, 'mqtt delivery acknowledged'));
  aedes.on('clientDisconnect', (client) => log.debug({ clientId: client.id }, 'mqtt client disconnected'));

  const server: Server = createServer((conn) => {
    const client = aedes.handle(conn);
    // The hub's own service users are exempt: an ack batch with large OFD tickets is theirs to send.
    capPacketSize(client, () => (principals.get(client)?.role === 'service' ? Number.POSITIVE_INFINITY : maxPacketBytes), (err) => {
      refuse('packet', { code: 'too_large', reason: err.message }, client.id ?? null, principals.get(client));
    });
  });
  const host = opts.host ?? '127.0.0.1';
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(opts.port ?? 0, host, () => { server.off('error', reject); resolve(); });
  });
  const port = (server.address() as AddressInfo).port;
  log.info({ host, port }, 'mqtt broker listening');

  let closed = false;
  return {
    aedes, port, host, url: `mqtt://${host}:${port}`,
    async close() {
      if (closed) return;
      closed = true;
      // aedes first: it closes the client connections that server.close() would wait for.
      const serverClosed = new Promise<void>((resolve) => server.close(() => resolve()));
      await new Promise<void>((resolve) => aedes.close(() => resolve()));
      await serverClosed;
    },
  };
}
