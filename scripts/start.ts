// `npm start`: the whole product on one machine. Each part is one block; the hub, the test
// OFD and the printer emulator are added here by their engineers.
import { Box } from '../firmware/box.js';
import { loadBoxConfig } from '../firmware/config.js';

const DEFAULT_DEMO_TOKEN = 'demo-pos-token-change-me';
const posToken = process.env.DEMO_POS_TOKEN ?? DEFAULT_DEMO_TOKEN;
const stops: (() => Promise<void>)[] = [];

// --- box: LAN API on 127.0.0.1:8000, data under ./data/box ---
const box = new Box(loadBoxConfig({
  overrides: { dataDir: './data/box', api: { host: '127.0.0.1', port: 8000, posTokens: [posToken] } },
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
