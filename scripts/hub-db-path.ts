// Where the hub database lives when no --db is given (one place for backup and restore).
import { join } from 'node:path';

export function defaultHubDb(env: NodeJS.ProcessEnv = process.env): string {
  if (env.HUB_DB) return env.HUB_DB;
  // The hub keeps everything (documents, broker state, ERP) in <dataDir>/hub.db.
  if (env.HUB_DATA_DIR) return join(env.HUB_DATA_DIR, 'hub.db');
  if (env.ERP_DATA_DIR) return join(env.ERP_DATA_DIR, 'hub.sqlite'); // the standalone ERP (npm run erp)
  return join(process.cwd(), 'data', 'hub', 'hub.db');
}
