// `npm start`: the whole product on one machine. Each part is one block; the hub, the test
// OFD and the printer emulator are added here by their engineers.
import { mkdirSync, rmSync, writeFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { Box } from '../firmware/box.js';
import { loadBoxConfig } from '../firmware/config.js';
import { ShtrihEmulator } from '../hardware/shtrih-emulator/emulator.js';
import { CONTROL_FILE, startControl } from '../hardware/shtrih-emulator/control.js';

const DEFAULT_DEMO_TOKEN = 'demo-pos-token-change-me';
const posToken = process.env.DEMO_POS_TOKEN ?? DEFAULT_DEMO_TOKEN;
const stops: (() => Promise<void>)[] = [];

// --- fiscal printer: the Shtrih-M emulator on a pseudo-terminal (DEMO_PRINTER_PATH=/dev/kkt
// uses a real printer instead); faults: npm run emulator:fault -- paper-out | paper-in | ... ---
let printerPath = process.env.DEMO_PRINTER_PATH ?? '';
let emulatorNote = `real printer at ${printerPath}`;
if (!printerPath) {
  const emuDir = resolve('./data/emulator');
  mkdirSync(emuDir, { recursive: true });
  const emu = await ShtrihEmulator.onPty({ dir: emuDir, printLineMs: 15, fnDocMs: 150 });
  const control = await startControl(emu);
  writeFileSync(CONTROL_FILE, JSON.stringify({ url: control.url, tty: emu.hostPath, pid: process.pid }));
  stops.push(async () => {
    control.server.close();
    await emu.stop();
    rmSync(CONTROL_FILE, { force: true });
  });
  printerPath = emu.hostPath;
  emulatorNote = `emulator on ${emu.hostPath}, control ${control.url}`;
}

// --- box: LAN API on 127.0.0.1:8000, data under ./data/box ---
const box = new Box(loadBoxConfig({
  overrides: {
    dataDir: './data/box', api: { host: '127.0.0.1', port: 8000, posTokens: [posToken] },
    printer: { enabled: true, path: printerPath },
  },
}));
const boxUrl = await box.start();
stops.push(() => box.stop());

console.log(`
OpticsERP demo stack is running
  box LAN API     ${boxUrl}   (OpenAPI: docs/openapi/box-lan-api.yaml)
  box health      ${boxUrl}/health
  box metrics     ${boxUrl}/metrics
  buffer status   ${boxUrl}/v1/kkt/buffer/status
  POS token       ${posToken}${process.env.DEMO_POS_TOKEN ? '' : '   (default; set DEMO_POS_TOKEN to change)'}
  fiscal printer  ${emulatorNote}
                  faults: npm run emulator:fault -- paper-out   (paper-in, cover-open, shift-24h, disconnect, clear, ...)
Ctrl+C stops everything.
`);

let stopping = false;
async function shutdown(): Promise<void> {
  if (stopping) return;
  stopping = true;
  for (const stop of stops.reverse()) await stop();
  process.exit(0);
}
process.on('SIGINT', () => void shutdown());
process.on('SIGTERM', () => void shutdown());
