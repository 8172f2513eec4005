// Entry of the field-tech console (agetty runs it on ttyGS0 / the UART instead of login).
// Environment: OPTICSERP_API_URL (default http://127.0.0.1:8000), OPTICSERP_POS_TOKEN (default:
// the first POS token of the box's provisioned config under the data dir), OPTICSERP_DATA_DIR
// (default /var/lib/opticserp), OPTICSERP_CONSOLE_LOG_CMD (JSON argv; `{n}` = line count),
// OPTICSERP_CONSOLE_APPLY=1 (on the box: reload networkd, restart the service after changes).
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { HttpBoxApi } from './api.js';
import { DirectLocalSystem } from './local.js';
import { runConsole } from './menu.js';
import { Prompt } from './prompt.js';
import { BOX_CONFIG } from '../provisioning/apply.js';

const dataDir = process.env.OPTICSERP_DATA_DIR ?? '/var/lib/opticserp';
const apiUrl = process.env.OPTICSERP_API_URL ?? 'http://127.0.0.1:8000';
const logCmd = process.env.OPTICSERP_CONSOLE_LOG_CMD ? (JSON.parse(process.env.OPTICSERP_CONSOLE_LOG_CMD) as string[]) : undefined;

function token(): string | undefined {
  // A box off its image (the demo stack, a bench unit) has no provisioned config to read.
  if (process.env.OPTICSERP_POS_TOKEN) return process.env.OPTICSERP_POS_TOKEN;
  try {
    return (JSON.parse(readFileSync(join(dataDir, BOX_CONFIG), 'utf8')) as { api?: { posTokens?: string[] } }).api?.posTokens?.[0];
  } catch {
    return undefined;
  }
}

const prompt = new Prompt(process.stdin, process.stdout, Boolean(process.stdin.isTTY));
const tty = process.stdin.isTTY ? 'a terminal' : 'a pipe';
prompt.write(`OpticsERP box console on ${tty}. Data: ${dataDir}. API: ${apiUrl}\n`);
await runConsole({ api: new HttpBoxApi(apiUrl, token()), local: new DirectLocalSystem(dataDir, logCmd, process.env.OPTICSERP_CONSOLE_APPLY === '1'), prompt });
prompt.close();
process.exit(0);
