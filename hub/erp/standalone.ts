// Runs the ERP alone (for development and the browser tests): hub database + ERP app on
// 127.0.0.1. `npm run erp` — ERP_PORT (default 8090), ERP_DATA_DIR, ERP_ADMIN_USER/PASSWORD.
import type { Server } from 'node:http';
import { join } from 'node:path';
import { openDatabase } from '../../shared/db.js';
import { claimDatabase } from '../db/owner-file.js';
import { createLogger, type Logger } from '../../shared/logger.js';
import { createErpApp, type ErpApp, type FleetProvider } from './app.js';
import { adminCredentials, seedAdmin, seedDemoCatalog, type DemoCredentials } from './demo-seed.js';

export interface StandaloneErp {
  erp: ErpApp;
  server: Server;
  url: string;
  credentials: DemoCredentials;
  stop(): Promise<void>;
}

export async function startStandaloneErp(opts: { dataDir: string; port?: number; host?: string; logger?: Logger; demo?: boolean; fleetProvider?: FleetProvider; env?: NodeJS.ProcessEnv }): Promise<StandaloneErp> {
  const logger = opts.logger ?? createLogger('erp');
  const db = openDatabase(join(opts.dataDir, 'hub.sqlite'));
  const releaseDb = claimDatabase(join(opts.dataDir, 'hub.sqlite'));
  const erp = createErpApp({ db, logger, dataDir: opts.dataDir, fleetProvider: opts.fleetProvider });
  const credentials = adminCredentials(opts.env);
  seedAdmin(erp.services, credentials);
  if (opts.demo ?? true) seedDemoCatalog(erp.services);
  const server = erp.app.listen(opts.port ?? 0, opts.host ?? '127.0.0.1');
  await new Promise<void>((res, rej) => { server.once('listening', res); server.once('error', rej); });
  const addr = server.address();
  const url = `http://${opts.host ?? '127.0.0.1'}:${typeof addr === 'object' && addr ? addr.port : 0}`;
  return {
    erp, server, url, credentials,
    stop: async () => {
      await new Promise<void>((res) => server.close(() => res()));
      server.closeAllConnections();
      await erp.close();
      db.close();
      releaseDb();
    },
  };
}

if (process.argv[1] && import.meta.url === new URL(`file://${process.argv[1]}`).href) {
  const dataDir = process.env.ERP_DATA_DIR || join(process.cwd(), 'var', 'erp');
  const port = Number(process.env.ERP_PORT || 8090);
  const s = await startStandaloneErp({ dataDir, port });
  console.log(`OpticsERP hub pages: ${s.url}/  (data in ${dataDir})`);
  console.log(`sign in as "${s.credentials.username}" with password "${s.credentials.password}" (set ERP_ADMIN_USER / ERP_ADMIN_PASSWORD to change)`);
  console.log(`sample price lists to import: hub/erp/samples/`);
  const shutdown = () => { void s.stop().then(() => process.exit(0)); };
  process.on('SIGINT', shutdown);
  process.on('SIGTERM', shutdown);
}
