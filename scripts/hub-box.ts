// `npm run hub:box -- add <store> <box> [secret]` provisions a box in the hub's registry (a
// random secret is generated and printed when none is given); `disable <box>` locks it out;
// `list` shows them. Works on the hub's database (HUB_DATA_DIR or the hub config's dataDir).
import { randomBytes } from 'node:crypto';
import { join } from 'node:path';
import { openDatabase } from '../shared/db.js';
import { BoxRegistry } from '../hub/broker/box-registry.js';
import { loadHubConfig } from '../hub/config.js';

const [cmd, a, b, c] = process.argv.slice(2);
const cfg = loadHubConfig();
const db = openDatabase(join(cfg.dataDir, 'hub.db'));
const reg = new BoxRegistry(db);
try {
  if (cmd === 'add' && a && b) {
    const secret = c ?? randomBytes(18).toString('base64url');
    reg.upsertBox(a, b, secret);
    console.log(`box ${b} of store ${a} provisioned; MQTT username and client id: ${b}; secret: ${secret}`);
  } else if (cmd === 'disable' && a) {
    console.log(reg.disable(a) ? `box ${a} disabled` : `no such box ${a}`);
  } else if (cmd === 'list') {
    for (const x of reg.boxes()) console.log(`${x.store}\t${x.box}${x.disabled ? '\t(disabled)' : ''}`);
  } else {
    console.error('usage: npm run hub:box -- add <store> <box> [secret] | disable <box> | list');
    process.exitCode = 2;
  }
} catch (err) {
  console.error((err as Error).message);
  process.exitCode = 1;
} finally {
  db.close();
}
