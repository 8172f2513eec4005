// The field-tech console over a real pseudo-terminal, against a real HTTP server on 127.0.0.1
// that answers the box API's documented shapes (docs/console.md). The full-stack test against
// the real box service comes with integration.
import { createServer, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { hashPin } from '../../firmware/provisioning/apply.js';
import { PtySession } from './helpers/pty.js';
import { GOOD } from './helpers/fixtures.js';

const TOKEN = 'pos-token-0123456789abcdef';
const MAIN = join(import.meta.dirname, '../../firmware/console/main.ts');
const calls: string[] = [];
let server: Server;
let apiUrl: string;
let syncRunning = false;

function send(res: ServerResponse, status: number, body: unknown, type = 'application/json'): void {
  res.writeHead(status, { 'content-type': type });
  res.end(JSON.stringify(body));
}

beforeAll(async () => {
  server = createServer((req, res) => {
    const key = `${req.method} ${req.url}`;
    calls.push(key);
    if (req.url?.startsWith('/v1/') && req.headers.authorization !== `Bearer ${TOKEN}`) {
      return send(res, 401, { type: 'about:blank', title: 'Unauthorized', status: 401 }, 'application/problem+json');
    }
    switch (key) {
      case 'GET /health':
        return send(res, 200, {
          status: 'ok',
          kkt: { state: 'ready', model: 'SHTRIH-M-01F', serial: 'SN0012345' },
          fn: { daysLeft: 412, unsentDocuments: 0 },
          uplink: { connected: true, pending: 3 },
          power: { source: 'mains', battery: 97 },
        });
      case 'GET /v1/kkt/buffer/status':
        return send(res, 200, { pending: 3, synced: 120, dlq: 0 });
      case 'POST /v1/kkt/report/x':
        return send(res, 200, { documentNumber: 42 });
      case 'POST /v1/kkt/sync':
        if (syncRunning) return send(res, 409, { type: 'about:blank', title: 'Sync already running', status: 409, detail: 'one drain at a time' }, 'application/problem+json');
        syncRunning = true;
        return send(res, 202, { started: true });
      case 'POST /v1/kkt/shift/close':
        return send(res, 200, { shiftNumber: 7, documentNumber: 43 });
      default:
        return send(res, 404, { type: 'about:blank', title: 'Not Found', status: 404 }, 'application/problem+json');
    }
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  apiUrl = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
});
afterAll(() => new Promise<void>((r) => server.close(() => r())));

let data: string;
let session: PtySession | undefined;
beforeEach(() => {
  data = mkdtempSync(join(tmpdir(), 'console-'));
  mkdirSync(join(data, 'config'));
  writeFileSync(join(data, 'config/box.json'), JSON.stringify({ uplink: { storeId: 'msk-017', boxId: 'box-017-a' }, api: { posTokens: [TOKEN] } }));
  calls.length = 0;
  syncRunning = false;
});
afterEach(() => {
  session?.kill();
  session = undefined;
  rmSync(data, { recursive: true, force: true });
});

function start(extraEnv: NodeJS.ProcessEnv = {}, url = apiUrl): PtySession {
  session = new PtySession(`${process.execPath} --import tsx ${MAIN}`, {
    ...process.env,
    OPTICSERP_API_URL: url,
    OPTICSERP_DATA_DIR: data,
    ...extraEnv,
  });
  return session;
}

describe('field-tech console over a pseudo-terminal', () => {
  it('runs on a terminal and shows status at a glance from the API and the disk', async () => {
    const s = start();
    await s.waitFor(/Choice: $/);
    expect(s.screen).toMatch(/console on a terminal/);
    const out = await s.type('1');
    expect(out).toMatch(/store msk-017 {2}box box-017-a/);
    expect(out).toMatch(/Service +ok \(HTTP 200\)/);
    expect(out).toMatch(/Printer +state=ready model=SHTRIH-M-01F serial=SN0012345/);
    expect(out).toMatch(/FN +daysLeft=412/);
    expect(out).toMatch(/Buffer +pending=3 synced=120 dlq=0/);
    expect(out).toMatch(/Link +connected=true/);
    expect(out).toMatch(/Power +source=mains battery=97/);
    expect(out).toMatch(/Disk +[\d.]+ [KMGT]?B free of/);
    expect(calls).toEqual(expect.arrayContaining(['GET /health', 'GET /v1/kkt/buffer/status']));
    await s.type('0', /Bye\./);
    expect(await s.exited).toBe(0);
  });

  it('X-report, sync now (a second one gets the 409 problem), test print without an endpoint', async () => {
    const s = start();
    await s.waitFor(/Choice: $/);
    expect(await s.type('3')).toMatch(/X-report: OK \(200\) documentNumber=42/);
    expect(await s.type('4')).toMatch(/Sync now: OK \(202\) started=true/);
    expect(await s.type('4')).toMatch(/Sync now: FAILED \(409\) Sync already running: one drain at a time/);
    expect(await s.type('2')).toMatch(/Test print: FAILED \(404\) Not Found/);
    expect(await s.type('x')).toMatch(/Unknown choice 'x'/);
    expect(calls.filter((c) => c === 'POST /v1/kkt/sync')).toHaveLength(2);
  });

  it('closing the shift needs YES; anything else changes nothing', async () => {
    const s = start();
    await s.waitFor(/Choice: $/);
    await s.type('6', /anything else cancels: $/);
    expect(await s.type('yes')).toMatch(/Cancelled, nothing changed/);
    expect(calls).not.toContain('POST /v1/kkt/shift/close');
    await s.type('6', /anything else cancels: $/);
    expect(await s.type('YES')).toMatch(/Close shift: OK \(200\) shiftNumber=7/);
    expect(calls).toContain('POST /v1/kkt/shift/close');
  });

  it('network settings: bad input changes nothing, a confirmed static address is saved', async () => {
    const s = start();
    await s.waitFor(/Choice: $/);
    expect(await s.type('7', /keep: $/)).toMatch(/no network file/);
    await s.type('s', /prefix.*: $/);
    await s.type('10.0.0.300/24', /Gateway: $/);
    await s.type('10.0.0.1', /comma separated\): $/);
    expect(await s.type('10.0.0.1')).toMatch(/Invalid, nothing changed:[\s\S]*address/);
    expect(existsSync(join(data, 'network/10-opticserp.network'))).toBe(false);
    await s.type('7', /keep: $/);
    await s.type('s', /prefix.*: $/);
    await s.type('10.0.0.5/24', /Gateway: $/);
    await s.type('10.0.0.1', /comma separated\): $/);
    await s.type('10.0.0.1, 10.0.0.2', /anything else cancels: $/);
    expect(await s.type('YES')).toMatch(/Network settings saved/);
    expect(readFileSync(join(data, 'network/10-opticserp.network'), 'utf8')).toMatch(/Address=10\.0\.0\.5\/24\nGateway=10\.0\.0\.1\nDNS=10\.0\.0\.1\nDNS=10\.0\.0\.2/);
  });

  it('provisioning: invalid JSON is refused, a confirmed valid one replaces the identity', async () => {
    const s = start();
    await s.waitFor(/Choice: $/);
    await s.type('8', /JSON: $/);
    expect(await s.type('{"storeId": "x y"}')).toMatch(/Invalid, nothing changed:[\s\S]*storeId[\s\S]*boxId/);
    expect(JSON.parse(readFileSync(join(data, 'config/box.json'), 'utf8')).uplink.storeId).toBe('msk-017');
    await s.type('8', /JSON: $/);
    const next = { ...GOOD, storeId: 'spb-002', boxId: 'box-002-b', techPin: undefined };
    expect(await s.type(JSON.stringify(next), /anything else cancels: $/)).toMatch(/REPLACES the identity of box box-017-a/);
    expect(await s.type('YES')).toMatch(/Provisioned: wrote config\/box\.json.*the box service restarts/);
    expect(JSON.parse(readFileSync(join(data, 'config/box.json'), 'utf8'))).toMatchObject({ uplink: { storeId: 'spb-002', boxId: 'box-002-b' } });
  });

  it('asks the provisioned PIN without echoing it, and shows the log tail', async () => {
    mkdirSync(join(data, 'tech'));
    writeFileSync(join(data, 'tech/pin'), hashPin('4821'));
    const log = join(data, 'box.log');
    writeFileSync(log, Array.from({ length: 100 }, (_, i) => `line ${i + 1}`).join('\n') + '\n');
    const s = start({ OPTICSERP_CONSOLE_LOG_CMD: JSON.stringify(['tail', '-n', '{n}', log]) });
    await s.waitFor(/PIN: $/);
    expect(await s.type('1111', /PIN: $/)).toMatch(/Wrong PIN/);
    await s.type('4821');
    expect(s.screen).not.toContain('4821');
    expect(s.screen).not.toContain('1111');
    const out = await s.type('9');
    expect(out).toMatch(/line 61\nline 62/);
    expect(out).not.toMatch(/line 60\n/);
  });

  it('three wrong PINs end the session', async () => {
    mkdirSync(join(data, 'tech'));
    writeFileSync(join(data, 'tech/pin'), hashPin('4821'));
    const s = start();
    await s.waitFor(/PIN: $/);
    await s.type('1', /PIN: $/);
    await s.type('2', /PIN: $/);
    await s.type('3', /Too many wrong PINs/);
    expect(await s.exited).toBe(0);
    expect(s.screen).not.toMatch(/Choice:/);
  });

  it('says plainly when the box service is down', async () => {
    // A port that was just free: nothing listens there.
    const probe = createServer();
    await new Promise<void>((r) => probe.listen(0, '127.0.0.1', r));
    const port = (probe.address() as AddressInfo).port;
    await new Promise<void>((r) => probe.close(() => r()));
    const s = start({}, `http://127.0.0.1:${port}`);
    await s.waitFor(/Choice: $/);
    const out = await s.type('1');
    expect(out).toMatch(/Service +DOWN \(ECONNREFUSED\)/);
    expect(await s.type('3')).toMatch(/X-report: FAILED: the box service did not answer/);
  });
});
