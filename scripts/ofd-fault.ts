// `npm run ofd:fault -- <mode> [n]`: switches the running test OFD's fault at run time.
// n is delay_ms for slow and flap_every for flapping. OFD_CONTROL_URL overrides the address.
import { FAULT_MODES } from '../hardware/sim/ofd/server.js';

const [mode, n] = process.argv.slice(2);
const base = process.env.OFD_CONTROL_URL ?? 'http://127.0.0.1:9101';
if (!mode || !(FAULT_MODES as readonly string[]).includes(mode)) {
  console.error(`usage: npm run ofd:fault -- <${FAULT_MODES.join('|')}> [delay_ms|flap_every]`);
  process.exit(2);
}
const body: Record<string, unknown> = { mode };
if (n !== undefined && mode === 'slow') body.delay_ms = Number(n);
if (n !== undefined && mode === 'flapping') body.flap_every = Number(n);
const res = await fetch(`${base}/control/fault`, { method: 'PUT', headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) });
console.log(res.status, await res.text());
process.exit(res.ok ? 0 : 1);
