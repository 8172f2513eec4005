// `npm run box:incidents` lists what the box wants an operator to see (a corrupt database
// set aside at start-up); `npm run box:incidents -- ack <id>` acknowledges one, which clears
// the degraded `database` health. Works while the box runs (WAL allows a second writer).
import { join } from 'node:path';
import { loadBoxConfig } from '../firmware/config.js';
import { openDatabase } from '../shared/db.js';

const dataDir = process.env.BOX_CONFIG ? loadBoxConfig().dataDir : (process.env.BOX_DATA_DIR ?? './data/box');
const db = openDatabase(join(dataDir, 'box.db'));
const [verb, id] = process.argv.slice(2);
if (verb === 'ack' && id) {
  const n = db.prepare('UPDATE incidents SET acknowledged_at = ? WHERE id = ? AND acknowledged_at IS NULL').run(new Date().toISOString(), Number(id)).changes;
  console.log(n ? `incident ${id} acknowledged` : `no open incident ${id}`);
  process.exitCode = n ? 0 : 1;
} else {
  for (const r of db.prepare('SELECT * FROM incidents ORDER BY id').all() as Record<string, unknown>[]) {
    console.log(`${String(r.id)}\t${String(r.at)}\t${String(r.kind)}\t${r.acknowledged_at ? 'acknowledged' : 'OPEN'}\t${String(r.detail)}`);
  }
}
db.close();
