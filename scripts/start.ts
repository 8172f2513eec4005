// `npm start`: the whole product on one machine. Each part is one block; the hub, the test
// OFD and the printer emulator are added here by their engineers.
import { mkdirSync, rmSync, writeFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { Box } from '../firmware/box.js';
import { loadBoxConfig } from '../firmware/config.js';
import { ShtrihEmulator } from '../hardware/shtrih-emulator/emulator.js';
import { CONTROL_FILE, startControl } from '../hardware/shtrih-emulator/control.js';
import { startTestOfd } from '../hardware/sim/ofd/server.js';
import { HUB_DEFAULTS, loadHubConfig } from '../hub/config.js';
import { Hub } from '../hub/hub.js';
import { createLogger } from '../shared/logger.js';

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

// --- test OFD: documents on :9100, faults on :9101 (npm run ofd:fault -- down | ok | 503 ...).
// The emulator's FN key is its own secret, so the fiscal-sign check is off here (docs/hub.md). ---
const ofd = await startTestOfd({ port: 9100, controlPort: 9101, apiKey: 'test-ofd-api-key', fnKey: null });
stops.push(() => ofd.close());

// --- hub: embedded MQTT broker :1883, HTTP API :8080, data under ./data/hub; the demo box is
// provisioned with a demo secret (DEMO_BOX_SECRET). ---
const boxSecret = process.env.DEMO_BOX_SECRET ?? 'demo-box-secret-change-me';
const hubCfg = loadHubConfig(process.env, {
  dataDir: './data/hub', ofd: { url: ofd.url, apiKey: 'test-ofd-api-key' },
  boxes: [{ store: 'store-1', box: 'box01', secret: boxSecret }],
});
const hub = new Hub(hubCfg, { logger: createLogger('hub', 'warn') });
await hub.start();
stops.push(() => hub.stop());

// --- box: LAN API on 127.0.0.1:8000, data under ./data/box ---
const box = new Box(loadBoxConfig({
  overrides: {
    dataDir: './data/box', api: { host: '127.0.0.1', port: 8000, posTokens: [posToken] },
    printer: { enabled: true, path: printerPath },
    uplink: { enabled: true, url: hub.mqttUrl, storeId: 'store-1', boxId: 'box01', secret: boxSecret },
  },
}));
// Simulated mains (`npm run mains -- off`): the demo shows each power state and, when the
// grace ends, stops the whole stack as a powered-off box would.
box.power.on('state', (state) => {
  console.log(`[power] ${state}${state === 'on_battery' ? `: sales paused, powering off in ${box.config.power.graceMs / 1000} s unless mains returns (npm run mains -- on)` : ''}`);
  if (state === 'stopped') {
    console.log('[power] box stopped cleanly after the power loss; run `npm run mains -- on` and `npm start` to power it up again');
    void shutdown();
  }
});
const boxUrl = await box.start();
stops.push(() => box.stop());

console.log(`
OpticsERP demo stack is running
  box LAN API     ${boxUrl}   (OpenAPI: docs/openapi/box-lan-api.yaml)
  box health      ${boxUrl}/health
  box metrics     ${boxUrl}/metrics
  buffer status   ${boxUrl}/v1/kkt/buffer/status
  POS token       ${posToken}${process.env.DEMO_POS_TOKEN ? '' : '   (default; set DEMO_POS_TOKEN to change)'}
  simulated mains npm run mains -- off | on   (UPS power-loss line; docs/power.md)
  POS widget      ${boxUrl}/pos/widget
  sync now        curl -X POST -H "Authorization: Bearer ${posToken}" ${boxUrl}/v1/kkt/sync
  hub API         ${hub.httpUrl}/api/fleet   (Authorization: Bearer ${hubCfg.http.operatorToken}; /metrics, /health open)
  hub ERP         ${hub.httpUrl}/   (sign in: ${hubCfg.erp.adminUser} / ${hubCfg.erp.adminPassword === HUB_DEFAULTS.erp.adminPassword ? hubCfg.erp.adminPassword : '<HUB_ERP__ADMIN_PASSWORD>'})
  hub MQTT        ${hub.mqttUrl}   (mosquitto_sub -t 'kkt/v1/#' -v -i _watch-${process.pid} -u ${hubCfg.mqtt.username} -P ${hubCfg.mqtt.password === HUB_DEFAULTS.mqtt.password ? hubCfg.mqtt.password : '<HUB_MQTT__PASSWORD>'})
  field console   OPTICSERP_API_URL=${boxUrl} OPTICSERP_POS_TOKEN=${posToken} npm run console
  test OFD        ${ofd.url}   faults: npm run ofd:fault -- down   (ok, 503, slow, timeout, flapping)
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
