// Process entry of the hub: config from file + HUB_* env, start, stop cleanly on SIGTERM/SIGINT.
import { ConfigError } from '../shared/config.js';
import { createLogger } from '../shared/logger.js';
import { loadHubConfig } from './config.js';
import { Hub } from './hub.js';

const log = createLogger('hub');
let cfg;
try {
  cfg = loadHubConfig();
} catch (err) {
  if (err instanceof ConfigError) {
    console.error(err.message);
    process.exit(2);
  }
  throw err;
}
const hub = new Hub(cfg, { logger: log });
await hub.start();
console.log(`hub: http ${hub.httpUrl}  mqtt ${hub.mqttUrl}`);
if (hub.erp) {
  const c = hub.erp.credentials;
  console.log(`OpticsERP: ${hub.httpUrl}/  sign in as "${c.username}" with password "${c.password}" (set HUB_ERP__ADMIN_USER / HUB_ERP__ADMIN_PASSWORD to change)`);
}
let stopping = false;
for (const sig of ['SIGTERM', 'SIGINT'] as const) {
  process.on(sig, () => {
    if (stopping) return;
    stopping = true;
    log.info({ sig }, 'stopping');
    hub.stop().then(() => process.exit(0), (err: unknown) => { log.error({ err }, 'stop failed'); process.exit(1); });
  });
}
