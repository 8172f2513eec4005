// `npm run ofd`: the test OFD alone. Env: OFD_PORT (9100), OFD_CONTROL_PORT (9101),
// OFD_API_KEY, OFD_FN_KEY (empty = skip the fiscal-sign check).
import { startTestOfd } from './server.js';

const ofd = await startTestOfd({
  port: Number(process.env.OFD_PORT ?? 9100),
  controlPort: Number(process.env.OFD_CONTROL_PORT ?? 9101),
  apiKey: process.env.OFD_API_KEY ?? 'test-ofd-api-key',
  fnKey: process.env.OFD_FN_KEY === '' ? null : (process.env.OFD_FN_KEY ?? 'test-fn-key'),
});
console.log(`test OFD: documents ${ofd.url}/api/v1/documents  control ${ofd.controlUrl}/control`);
console.log('switch faults: npm run ofd:fault -- <ok|503|slow|timeout|flapping|down> [delay_ms|flap_every]');
for (const sig of ['SIGTERM', 'SIGINT'] as const) process.on(sig, () => { void ofd.close().then(() => process.exit(0)); });
