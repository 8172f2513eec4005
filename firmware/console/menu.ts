// The field-tech console: a numbered menu, one action per entry, a confirmation before
// anything that cannot be undone. It works on any line-based terminal.
import type { BoxApi } from './api.js';
import type { LocalSystem } from './local.js';
import type { Prompt } from './prompt.js';
import { glance, outcome } from './render.js';
import { NetworkSchema, ProvisioningError, validateProvisioning } from '../provisioning/schema.js';

export interface ConsoleDeps {
  api: BoxApi;
  local: LocalSystem;
  prompt: Prompt;
  now?: () => Date;
}

const MENU = `
OpticsERP field-tech console
  1) Status at a glance
  2) Test print
  3) X-report
  4) Sync now
  5) Open shift
  6) Close shift (Z-report)
  7) Network settings
  8) Provisioning
  9) Log tail
  0) Exit
`;

const MAX_PIN_TRIES = 3;

export async function runConsole(d: ConsoleDeps): Promise<void> {
  const { prompt: p } = d;
  if (d.local.pinRequired() && !(await login(d))) return;
  for (;;) {
    p.write(MENU);
    const choice = await p.ask('Choice: ');
    if (choice === null || choice === '0' || choice.toLowerCase() === 'q') break;
    const action = ACTIONS[choice];
    if (!action) {
      p.write(`Unknown choice '${choice}': type a number from the menu.\n`);
      continue;
    }
    try {
      await action(d);
    } catch (err) {
      p.write(`Error: ${(err as Error).message}\n`);
    }
  }
  p.write('Bye.\n');
}

async function login(d: ConsoleDeps): Promise<boolean> {
  for (let i = 0; i < MAX_PIN_TRIES; i++) {
    const pin = await d.prompt.ask('Technician PIN: ', { secret: true });
    if (pin === null) return false;
    if (d.local.checkPin(pin)) return true;
    d.prompt.write('Wrong PIN.\n');
  }
  d.prompt.write('Too many wrong PINs.\n');
  return false;
}

type Action = (d: ConsoleDeps) => Promise<void>;

const ACTIONS: Record<string, Action> = {
  '1': async (d) => {
    const [health, buffer] = await Promise.all([d.api.health(), d.api.bufferStatus()]);
    d.prompt.write(glance({ health, buffer, disk: d.local.disk(), identity: d.local.identity(), now: (d.now ?? (() => new Date()))() }));
  },
  '2': async (d) => d.prompt.write(`Test print: ${outcome(await d.api.testPrint())}\n`),
  '3': async (d) => d.prompt.write(`X-report: ${outcome(await d.api.xReport())}\n`),
  '4': async (d) => d.prompt.write(`Sync now: ${outcome(await d.api.syncNow())}\n`),
  '5': async (d) => d.prompt.write(`Open shift: ${outcome(await d.api.openShift())}\n`),
  '6': async (d) => {
    if (!(await d.prompt.confirm('Close the shift? This prints a Z-report and cannot be undone.'))) return;
    d.prompt.write(`Close shift: ${outcome(await d.api.closeShift())}\n`);
  },
  '7': network,
  '8': provisioning,
  '9': async (d) => d.prompt.write(`== Last 40 log lines\n${d.local.logTail(40)}`),
};

async function network(d: ConsoleDeps): Promise<void> {
  const p = d.prompt;
  p.write(`== Current network settings\n${d.local.networkText()}`);
  const mode = await p.ask('New mode: d = DHCP, s = static, Enter = keep: ');
  if (!mode) return;
  let raw: unknown;
  if (mode === 'd') raw = { mode: 'dhcp' };
  else if (mode === 's') {
    const address = await p.ask('Address with prefix (e.g. 192.0.2.10/24): ');
    const gateway = await p.ask('Gateway: ');
    const dns = await p.ask('DNS servers (comma separated): ');
    if (address === null || gateway === null || dns === null) return;
    raw = { mode: 'static', address, gateway, dns: dns.split(',').map((s) => s.trim()).filter(Boolean) };
  } else {
    p.write(`Unknown mode '${mode}', nothing changed.\n`);
    return;
  }
  const r = NetworkSchema.safeParse(raw);
  if (!r.success) {
    p.write(`Invalid, nothing changed:\n${r.error.issues.map((i) => `  - ${i.path.join('.') || 'mode'}: ${i.message}`).join('\n')}\n`);
    return;
  }
  if (!(await p.confirm('Apply the new network settings? The box may drop off the LAN if they are wrong.'))) return;
  const note = d.local.setNetwork(r.data);
  p.write(`Network settings saved on the data partition.${note}\n`);
}

async function provisioning(d: ConsoleDeps): Promise<void> {
  const p = d.prompt;
  const who = d.local.identity();
  p.write(`== Provisioning (now: store ${who.storeId ?? '-'}, box ${who.boxId ?? '-'})\nPaste the provisioning JSON on ONE line (the same as the boot-partition file).\n`);
  const line = await p.ask('JSON: ');
  if (!line) return;
  let raw: unknown;
  try {
    raw = JSON.parse(line);
  } catch (err) {
    p.write(`Not valid JSON, nothing changed: ${(err as Error).message}\n`);
    return;
  }
  try {
    const v = validateProvisioning(raw);
    const replaces = who.boxId ? ` This REPLACES the identity of box ${who.boxId}.` : '';
    if (!(await p.confirm(`Provision as store ${v.storeId}, box ${v.boxId}, hub ${v.hub.url}?${replaces}`))) return;
    const { written, note } = d.local.provision(raw);
    p.write(`Provisioned: wrote ${written.join(', ')}; the box service restarts with it.${note}\n`);
  } catch (err) {
    if (err instanceof ProvisioningError) p.write(`Invalid, nothing changed:\n${err.problems.map((x) => `  - ${x}`).join('\n')}\n`);
    else throw err;
  }
}
