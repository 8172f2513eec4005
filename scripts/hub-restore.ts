// `npm run hub:restore -- <backup.sqlite> [--db FILE] [--without-manifest]`: restores a backup into the hub's
// database path. Stop the hub first. The current database is moved aside, never deleted.
import { resolve } from 'node:path';
import { parseArgs } from 'node:util';
import { restoreDatabase } from '../hub/backup/sqlite-backup.js';
import { defaultHubDb } from './hub-db-path.js';

const { values, positionals } = parseArgs({ options: { db: { type: 'string' }, 'without-manifest': { type: 'boolean' } }, allowPositionals: true });
const backup = positionals[0];
if (!backup) {
  console.error('usage: npm run hub:restore -- <backup.sqlite> [--db <hub database file>] [--without-manifest]   (stop the hub first)');
  process.exit(64);
}
const target = resolve(values.db ?? defaultHubDb());
try {
  const r = await restoreDatabase(resolve(backup), target, { withoutManifest: values['without-manifest'] === true });
  console.log(`restored ${r.from} -> ${r.target}${r.movedAside ? `; the previous database was moved to ${r.movedAside}` : ''}`);
  console.log(JSON.stringify(r));
} catch (err) {
  console.error(`restore FAILED (nothing changed unless stated above): ${(err as Error).message}`);
  process.exitCode = 1;
}
