// `npm run hub:backup -- [--db FILE] [--out DIR]`: online backup of the hub database (the hub
// keeps serving). Default database: $HUB_DB, else $HUB_DATA_DIR/hub.db, else ./data/hub/hub.db (the
// standalone ERP keeps $ERP_DATA_DIR/hub.sqlite); default output: ./backups. Prints the manifest; exit 1 on failure.
import { resolve } from 'node:path';
import { parseArgs } from 'node:util';
import { backupDatabase } from '../hub/backup/sqlite-backup.js';
import { defaultHubDb } from './hub-db-path.js';

const { values } = parseArgs({ options: { db: { type: 'string' }, out: { type: 'string', default: 'backups' } } });
const db = resolve(values.db ?? defaultHubDb());
try {
  const m = await backupDatabase(db, resolve(values.out));
  console.log(`backup of ${db} written to ${m.file} (${m.bytes} bytes, integrity ok)`);
  console.log(JSON.stringify(m));
} catch (err) {
  console.error(`backup FAILED: ${(err as Error).message}`);
  process.exitCode = 1;
}
