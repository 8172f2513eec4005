// Composition root of the hub: builds the services once, wires their events, and owns
// start/stop. Each feature (broker, ingest, forwarder, fleet, http) knows nothing of the others.
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import { problemClientErrors } from '../shared/http/problem.js';
import { claimDatabase } from './db/owner-file.js';
import { openDatabase, type Db } from '../shared/db.js';
import type { Logger } from '../shared/logger.js';
import type { HubStatusMessage } from '../shared/mqtt/messages.js';
import { BoxRegistry } from './broker/box-registry.js';
import { startBroker, type RunningBroker } from './broker/broker.js';
import type { HubConfig } from './config.js';
import { createHubErp, type HubErp } from './erp-link/hub-erp.js';
import { Fleet } from './fleet/fleet.js';
import { createHubHttpApp, type HubHttpPart } from './http/app.js';
import { opsRouter } from './http/ops-routes.js';
import { DocumentStore } from './ingest/document-store.js';
import { Ingest } from './ingest/ingest.js';
import { createHubMetrics, type HubMetrics } from './metrics.js';
import { OfdForwarder } from './ofd/forwarder.js';
import { httpOfdClient, type OfdClient } from './ofd/ofd-client.js';

export const HUB_VERSION = '0.1.0';

export interface HubDeps {
  logger: Logger;
  /** Extra HTTP parts (the ERP app, pages); mounted after the operator API. */
  httpParts?: HubHttpPart[];
  ofdClient?: OfdClient;
}

export class Hub {
  readonly cfg: HubConfig;
  readonly #d: HubDeps;
  db!: Db;
  registry!: BoxRegistry;
  store!: DocumentStore;
  fleet!: Fleet;
  forwarder!: OfdForwarder;
  ingest!: Ingest;
  metrics!: HubMetrics;
  broker: RunningBroker | null = null;
  /** The optics ERP (pages, /api/v1, ingest link); null when cfg.erp.enabled is false. */
  erp: HubErp | null = null;
  #http: Server | null = null;
  #statusTimer: NodeJS.Timeout | null = null;
  #releaseDb: (() => void) | null = null;
  mqttUrl = '';
  httpUrl = '';

  constructor(cfg: HubConfig, deps: HubDeps) {
    this.cfg = cfg;
    this.#d = deps;
  }

  hubStatus(): HubStatusMessage {
    const c = this.store.counts();
    return { v: 1, state: 'online', at: new Date().toISOString(), ofd: { breaker: this.forwarder.breakerState, queue: c.pending, dlq: c.dead } };
  }

  async start(): Promise<void> {
    const { cfg } = this;
    const log = this.#d.logger;
    this.db = openDatabase(join(cfg.dataDir, 'hub.db'));
    this.#releaseDb = claimDatabase(join(cfg.dataDir, 'hub.db'));
    this.registry = new BoxRegistry(this.db);
    this.registry.upsertService(cfg.mqtt.username, cfg.mqtt.password);
    for (const b of cfg.boxes) this.registry.upsertBox(b.store, b.box, b.secret);
    this.fleet = new Fleet(cfg.fleet);
    for (const b of this.registry.boxes()) this.fleet.register(b);
    this.store = new DocumentStore(this.db);
    this.metrics = createHubMetrics({ defaultMetrics: true });
    const m = this.metrics;
    if (cfg.erp.enabled) {
      // One database file for hub and ERP: the link's cursor commits with the ERP's rows, and
      // one file is one backup of a store chain's fiscal and optics records.
      this.erp = createHubErp({ db: this.db, dataDir: cfg.dataDir, cfg: cfg.erp, logger: log.child({ part: 'erp' }), registry: m.registry, metrics: m, fleet: this.fleet });
    }

    if (cfg.mqtt.embedded) {
      this.broker = await startBroker({
        db: this.db, registry: this.registry, logger: log.child({ part: 'broker' }), host: cfg.mqtt.host, port: cfg.mqtt.port,
        maxPacketBytes: cfg.mqtt.maxPacketBytes,
        // A misconfigured box loops (refused -> reconnect -> resend): the counter shows the rate.
        onRefused: (r) => {
          m.brokerRefused.inc({ action: r.action, reason: r.code, store: r.store ?? '', box: r.box ?? '' });
          if (r.store && r.box) this.fleet.onBrokerRefused({ store: r.store, box: r.box }, r);
        },
      });
      this.mqttUrl = this.broker.url;
    } else {
      if (!cfg.mqtt.url) throw new Error('mqtt.url is required when mqtt.embedded is false');
      this.mqttUrl = cfg.mqtt.url;
    }

    this.forwarder = new OfdForwarder({
      store: this.store, policy: cfg.ofd, logger: log.child({ part: 'ofd' }),
      client: this.#d.ofdClient ?? httpOfdClient(cfg.ofd.url, cfg.ofd.apiKey),
    });
    this.ingest = new Ingest({ url: this.mqttUrl, username: cfg.mqtt.username, password: cfg.mqtt.password, store: this.store, logger: log.child({ part: 'ingest' }) });

    this.ingest.on('stored', (n) => { m.ingested.inc({ result: 'stored' }, n); this.forwarder.wake(); this.erp?.link.wake(); });
    this.ingest.on('malformed', () => m.ingested.inc({ result: 'malformed' }));
    this.ingest.on('heartbeat', (a, hb) => {
      this.fleet.onHeartbeat(a, hb);
      const l = { store: a.store, box: a.box };
      m.boxPending.set(l, hb.buffer.pending);
      m.boxBufferPct.set(l, hb.buffer.percent);
      m.boxOldestAge.set(l, hb.buffer.oldest_pending_age_s ?? 0);
      if (hb.printer.fn_docs_without_ticket !== null) m.boxFnUnsent.set(l, hb.printer.fn_docs_without_ticket);
      if (hb.printer.fn_docs_without_ticket !== null) m.boxFnOldestUnsentAge.set(l, hb.printer.fn_oldest_without_ticket_age_s ?? 0);
      m.boxLastHeartbeat.set(l, Date.now() / 1000);
      if (hb.health) m.boxHealth.set(l, { healthy: 0, degraded: 1, unhealthy: 2 }[hb.health.status]);
    });
    this.ingest.on('status', (a, s) => this.fleet.onStatus(a, s));
    this.ingest.on('power', (a, p) => this.fleet.onPower(a, p));
    this.fleet.on('change', (v) => {
      m.boxOnline.set({ store: v.store, box: v.box }, v.state === 'online' ? 1 : 0);
      log.info({ store: v.store, box: v.box, state: v.state, reason: v.reason }, 'box link state changed');
    });
    const ackOf = (d: { store_id: string; box_id: string; receipt_id: string }) => this.ingest.notifyBox({ store: d.store_id, box: d.box_id }, d.receipt_id);
    this.forwarder.on('confirmed', (d) => { m.forwarded.inc({ result: 'confirmed' }); ackOf(d); });
    this.forwarder.on('dead', (d) => { m.forwarded.inc({ result: 'dead' }); ackOf(d); });
    this.forwarder.on('failed', () => m.forwarded.inc({ result: 'failed' }));
    this.forwarder.on('breaker', (s) => { m.setBreaker(s); this.ingest.publishHubStatus(this.hubStatus()); });

    await this.ingest.start(() => this.hubStatus());
    // Queue depth in the retained status stays fresh for dashboards without a message per document.
    this.#statusTimer = setInterval(() => this.ingest.publishHubStatus(this.hubStatus()), cfg.fleet.heartbeatPeriodMs);
    this.#statusTimer.unref();

    const app = createHubHttpApp({
      logger: log.child({ part: 'http' }),
      registry: m.registry,
      version: HUB_VERSION,
      health: [
        { name: 'database', check: () => ({ ok: (this.db.prepare('SELECT 1 AS x').get() as { x: number }).x === 1 }) },
        { name: 'mqtt', check: () => ({ ok: this.ingest.connected, detail: this.mqttUrl }) },
        // The OFD being away never fails the hub (documents wait safely), but it is not "ok" either.
        { name: 'ofd', check: () => ({ ok: true, degraded: this.forwarder.breakerState !== 'closed', detail: `breaker ${this.forwarder.breakerState}` }) },
        // ERP trouble never fails the hub's health: the fiscal path does not depend on it.
        ...(this.erp ? [{ name: 'erp', check: () => ({ ok: true, detail: JSON.stringify(this.erp!.link.counts()) }) }] : []),
      ],
      parts: [
        { router: opsRouter({ fleet: this.fleet, store: this.store, forwarder: this.forwarder, operatorToken: cfg.http.operatorToken, erpLink: this.erp?.link, requestSync: (a) => this.ingest.requestSync(a) }) },
        ...(this.#d.httpParts ?? []),
        // Last: the ERP answers every path nobody else took (its own 404 page).
        ...(this.erp ? [{ middleware: this.erp.erp.middleware }] : []),
      ],
    });
    const http = createServer(app.callback());
    problemClientErrors(http);
    await new Promise<void>((resolve, reject) => {
      http.once('error', reject);
      http.listen(cfg.http.port, cfg.http.host, () => { http.off('error', reject); resolve(); });
    });
    this.#http = http;
    this.httpUrl = `http://${cfg.http.host}:${(http.address() as AddressInfo).port}`;
    this.forwarder.start();
    this.erp?.link.start();
    log.info({ http: this.httpUrl, mqtt: this.mqttUrl }, 'hub started');
  }

  async stop(): Promise<void> {
    if (this.#statusTimer) clearInterval(this.#statusTimer);
    await this.forwarder?.stop();
    this.fleet?.stop();
    await this.ingest?.stop(true);
    if (this.#http) {
      const h = this.#http;
      this.#http = null;
      await new Promise<void>((r) => { h.close(() => r()); h.closeAllConnections(); });
    }
    await this.broker?.close();
    await this.erp?.close();
    this.db?.close();
    this.#releaseDb?.();
  }
}
