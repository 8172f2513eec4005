// The embedded MQTT broker (aedes 1.x, MQTT 3.1.1) with durable sessions, per-box
// credentials and the ACL. The hub's logic reaches it as an ordinary MQTT client over TCP,
// so an external broker (Mosquitto with a password file and ACL) can replace it.
import { Aedes, type AuthenticateError, type Client } from 'aedes';
import { createServer, type Server } from 'node:net';
import type { AddressInfo } from 'node:net';
import type { Writable } from 'node:stream';
import type { Db } from '../../shared/db.js';
import type { Logger } from '../../shared/logger.js';
import { mayPublish, maySubscribe, mayUseClientId } from './acl.js';
import { holdUntilConnack } from './connack-first.js';
import type { BoxRegistry, Principal } from './box-registry.js';
import { SqlitePersistence } from './sqlite-persistence.js';

export interface BrokerOptions {
  db: Db;
  registry: BoxRegistry;
  logger: Logger;
  host?: string;
  port?: number;
  /** How often aedes checks for dead brokers' wills; tests lower it. */
  heartbeatIntervalMs?: number;
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

export async function startBroker(opts: BrokerOptions): Promise<RunningBroker> {
  const log = opts.logger;
  const persistence = new SqlitePersistence(opts.db);
  const aedes = await Aedes.createBroker({
    persistence,
    drainTimeout: 5000,
    heartbeatInterval: opts.heartbeatIntervalMs ?? 60_000,
    preConnect(client, _packet, done) {
      holdUntilConnack(client.conn as Writable);
      keepEveryDelivery(client);
      done(null, true);
    },
    authenticate(client, username, password, done) {
      const p = opts.registry.verify(username, password);
      if (!p) {
        log.warn({ clientId: client.id, username }, 'mqtt login refused: bad username or secret');
        return done(authError('bad username or password', 4), null);
      }
      const idCheck = mayUseClientId(p, client.id);
      if (!idCheck.ok) {
        log.warn({ clientId: client.id, username }, `mqtt login refused: ${idCheck.reason}`);
        return done(authError(idCheck.reason, 5), null);
      }
      principals.set(client, p);
      done(null, true);
    },
    authorizePublish(client, packet, done) {
      // A null client is the broker itself ($SYS, dead brokers' wills).
      if (!client) return done(null);
      const p = principals.get(client);
      const d = p ? mayPublish(p, packet.topic) : { ok: false as const, reason: 'not authenticated' };
      if (d.ok) return done(null);
      log.warn({ clientId: client.id, topic: packet.topic }, `mqtt publish refused: ${d.reason}`);
      done(new Error(d.reason));
    },
    authorizeSubscribe(client, sub, done) {
      const p = principals.get(client);
      const d = p ? maySubscribe(p, sub.topic) : { ok: false as const, reason: 'not authenticated' };
      if (d.ok) return done(null, sub);
      log.warn({ clientId: client.id, topic: sub.topic }, `mqtt subscribe refused: ${d.reason}`);
      // MQTT 3.1.1 has no per-topic refusal code besides 0x80: a null subscription gives it.
      done(null, null);
    },
  });
  aedes.on('clientError', (client, err) => log.debug({ clientId: client.id, err: err.message }, 'mqtt client error'));
  aedes.on('connectionError', (client, err) => log.debug({ clientId: client.id, err: err.message }, 'mqtt connection error'));
  aedes.on('client', (client) => log.debug({ clientId: client.id }, 'mqtt client connecting'));
  aedes.on('clientReady', (client) => log.debug({ clientId: client.id }, 'mqtt client ready'));
  aedes.on('ack', (packet, client) => log.trace({ clientId: client?.id, messageId: (packet as { messageId?: number } | undefined)?.messageId }, 'mqtt delivery acknowledged'));
  aedes.on('clientDisconnect', (client) => log.debug({ clientId: client.id }, 'mqtt client disconnected'));

  const server: Server = createServer(aedes.handle);
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
