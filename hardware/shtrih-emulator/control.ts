// The emulator's control channel: plain HTTP on 127.0.0.1. GET /state shows the device;
// POST /faults/<name>[?arg=...] switches a fault (same names as the CLI).
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { FAULT_NAMES, type FaultName } from './faults.js';
import type { ShtrihEmulator } from './emulator.js';

/** Where a running `npm run emulator` (or `npm start`) leaves its control address. */
export const CONTROL_FILE = join(tmpdir(), 'shtrih-emulator.json');

export async function startControl(emu: ShtrihEmulator, port = 0): Promise<{ server: Server; url: string }> {
  const server = createServer((req, res) => {
    const url = new URL(req.url ?? '/', 'http://127.0.0.1');
    const reply = (status: number, body: unknown) => {
      res.writeHead(status, { 'content-type': 'application/json' });
      res.end(JSON.stringify(body));
    };
    if (req.method === 'GET' && url.pathname === '/state') return reply(200, emu.snapshot());
    const m = /^\/faults\/([a-z0-9-]+)$/.exec(url.pathname);
    if (req.method === 'POST' && m) {
      const name = m[1] as FaultName;
      if (!FAULT_NAMES.includes(name)) return reply(400, { error: `unknown fault "${name}"`, known: FAULT_NAMES });
      const arg = url.searchParams.get('arg') ?? undefined;
      emu.applyFault(name, arg).then(() => reply(200, emu.snapshot()), (err: Error) => reply(500, { error: err.message }));
      return;
    }
    reply(404, { error: 'use GET /state or POST /faults/<name>?arg=', faults: FAULT_NAMES });
  });
  await new Promise<void>((resolve) => server.listen(port, '127.0.0.1', resolve));
  const { port: p } = server.address() as AddressInfo;
  return { server, url: `http://127.0.0.1:${p}` };
}
