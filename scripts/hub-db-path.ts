// Where the hub database lives when no --db is given (one place for backup and restore).
import { join } from 'node:path';

export function defaultHubDb(env: NodeJS.ProcessEnv = process.env): string {
  if (env.HUB_DB) return env.HUB_DB;
  const dir = env.HUB_DATA_DIR || env.ERP_DATA_DIR || join(process.cwd(), 'var', 'erp');
  return join(dir, 'hub.sqlite');
}
