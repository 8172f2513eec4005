// The ERP inside the hub: one app over the hub's database, the first admin and demo data on a
// fresh start, the fleet page fed by hub/fleet, and the ingest -> ERP link with its metrics.
import type { Registry } from 'prom-client';
import type { Db } from '../../shared/db.js';
import type { Logger } from '../../shared/logger.js';
import type { HubConfig } from '../config.js';
import { createErpApp, type ErpApp, type FleetBox } from '../erp/app.js';
import { seedAdmin, seedDemoCatalog, type DemoCredentials } from '../erp/demo-seed.js';
import { ValidationError } from '../erp/domain/errors.js';
import type { BoxView, Fleet } from '../fleet/fleet.js';
import type { HubMetrics } from '../metrics.js';
import { ErpLink } from './erp-link.js';

const PRINTER_STATE_RU: Record<string, string> = {
  connected: 'на связи', connecting: 'подключается', disconnected: 'отключён', stopped: 'остановлен', none: 'не подключён',
};

/** The fleet's reasons (English, for the API and logs) as the Russian page shows them. */
function reasonRu(reason: string | null): string | null {
  if (!reason) return null;
  const inRow = /^(\d+) heartbeats in a row$/.exec(reason);
  if (inRow) return `сигналов подряд: ${inRow[1]}`;
  const missed = /^(\d+) heartbeats missed$/.exec(reason);
  if (missed) return `пропущено сигналов: ${missed[1]}`;
  if (reason === 'last will' || reason.includes('last will')) return 'бокс отключился (последнее сообщение)';
  return reason;
}

export function fleetBox(v: BoxView): FleetBox {
  const hb = v.heartbeat;
  const fnOldestDays = hb?.printer.fn_oldest_without_ticket_age_s ? Math.floor(hb.printer.fn_oldest_without_ticket_age_s / 86_400) : null;
  const detail = [
    hb ? `принтер: ${PRINTER_STATE_RU[hb.printer.state] ?? hb.printer.state}` : null,
    hb && hb.printer.fn_docs_without_ticket !== null ? `ФН без квитанции: ${hb.printer.fn_docs_without_ticket}` : null,
    // The FN blocks after 30 days with a document unsent.
    fnOldestDays !== null && fnOldestDays >= 1 ? `старейший неотправленный: ${fnOldestDays} дн.` : null,
    hb?.health && hb.health.status !== 'healthy' ? `требует внимания: ${[...hb.health.failing, ...hb.health.degraded].join(', ')}` : null,
    v.last_refusal ? `брокер отказал: ${v.last_refusal.reason}` : null,
    reasonRu(v.reason),
  ].filter((x): x is string => !!x).join('; ');
  return {
    box_id: v.box, store_id: v.store, status: v.state, last_seen: v.last_heartbeat_at,
    ...(hb ? { buffer_pending: hb.buffer.pending } : {}),
    ...(detail ? { detail } : {}),
  };
}

export interface HubErp {
  erp: ErpApp;
  link: ErpLink;
  credentials: DemoCredentials;
  close(): Promise<void>;
}

export interface HubErpOptions {
  db: Db;
  dataDir: string;
  cfg: HubConfig['erp'];
  logger: Logger;
  registry: Registry;
  metrics: HubMetrics;
  fleet: Fleet;
}

export function createHubErp(o: HubErpOptions): HubErp {
  const erp = createErpApp({
    db: o.db, logger: o.logger, dataDir: o.dataDir, registry: o.registry, lang: o.cfg.lang, timeZone: o.cfg.timeZone,
    fleetProvider: () => o.fleet.list().map(fleetBox),
  });
  const credentials = { username: o.cfg.adminUser, password: o.cfg.adminPassword };
  seedAdmin(erp.services, credentials);
  if (o.cfg.demo) seedDemoCatalog(erp.services);
  const link = new ErpLink({
    db: o.db, logger: o.logger.child({ part: 'erp-link' }),
    record: (p) => erp.services.recordFiscalDocument(p),
    isPermanent: (err) => err instanceof ValidationError,
    backoffInitialMs: o.cfg.retryInitialMs, backoffMaxMs: o.cfg.retryMaxMs,
  });
  link.on('result', (r) => o.metrics.erpLink.inc({ result: r }));
  const gauges = () => {
    const c = link.counts();
    o.metrics.erpLinkRetrying.set(c.retrying);
    o.metrics.erpLinkRejected.set(c.rejected);
  };
  link.on('drained', gauges);
  return {
    erp, link, credentials,
    async close() {
      link.stop();
      await erp.close();
    },
  };
}
