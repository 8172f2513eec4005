// `npm run box:incidents` lists what the box wants an operator to see (a corrupt database
// set aside at start-up); `npm run box:incidents -- ack <id>` acknowledges one, which clears
// the degraded `database` health. Works while the box runs (WAL allows a second writer).
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { loadBoxConfig } from '../firmware/config.js';
import { openDatabase } from '../shared/db.js';

const dataDir = process.env.BOX_CONFIG ? loadBoxConfig().dataDir : (process.env.BOX_DATA_DIR ?? './data/box');
const file = join(dataDir, 'box.db');
if (!existsSync(file)) {
  // Opening would create an empty database in the wrong place and report "nothing wrong".
  console.error(`no box database at ${file}: set BOX_DATA_DIR (or BOX_CONFIG) to the box's data dir`);
  process.exit(1);
}
const db = openDatabase(file);
const [verb, id] = process.argv.slice(2);
if (verb === 'ack' && id) {
  const n = db.prepare('UPDATE incidents SET acknowledged_at = ? WHERE id = ? AND acknowledged_at IS NULL').run(new Date().toISOString(), Number(id)).changes;
  console.log(n ? `incident ${id} acknowledged` : `no open incident ${id}`);
  process.exitCode = n ? 0 : 1;
} else if (verb === undefined) {
  const rows = db.prepare('SELECT * FROM incidents ORDER BY id').all() as Record<string, unknown>[];
  for (const r of rows) {
    console.log(`${String(r.id)}\t${String(r.at)}\t${String(r.kind)}\t${r.acknowledged_at ? 'acknowledged' : 'OPEN'}\t${String(r.detail)}`);
  }
  // Silence would read as "did it even look?"
  if (rows.length === 0) console.log(`no incidents recorded in ${file}`);
} else {
  console.error('usage: npm run box:incidents [-- ack <id>]   (BOX_CONFIG or BOX_DATA_DIR picks the box data dir)');
  process.exitCode = 64;
}
db.close();
