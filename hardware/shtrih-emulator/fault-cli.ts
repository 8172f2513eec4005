// `npm run emulator:fault -- <fault> [arg]`: switches a fault on the running emulator.
// Finds it through EMULATOR_CONTROL (http://127.0.0.1:port) or the file `npm run emulator` wrote.
import { readFileSync } from 'node:fs';
import { FAULT_NAMES } from './faults.js';
import { CONTROL_FILE } from './control.js';

const [name, arg] = process.argv.slice(2);
if (!name || !(FAULT_NAMES as readonly string[]).includes(name)) {
  console.error(`usage: npm run emulator:fault -- <fault> [arg]\nfaults: ${FAULT_NAMES.join(', ')}\n` +
    'args: paper-out [lines before it runs out], slow <ms>|off, corrupt <n>, nak-storm <n>, noise <n>, drop-after <cmdhex>[:disconnect], others on|off');
  process.exit(2);
}
let url = process.env.EMULATOR_CONTROL;
if (!url) {
  try {
    url = (JSON.parse(readFileSync(CONTROL_FILE, 'utf8')) as { url: string }).url;
  } catch {
    console.error(`no running emulator found (${CONTROL_FILE} missing); start it with npm run emulator or npm start, or set EMULATOR_CONTROL`);
    process.exit(1);
  }
}
const q = arg === undefined ? '' : `?arg=${encodeURIComponent(arg)}`;
const res = await fetch(`${url}/faults/${name}${q}`, { method: 'POST' });
const body = await res.text();
if (!res.ok) {
  console.error(`emulator refused: ${body}`);
  process.exit(1);
}
console.log(body);
