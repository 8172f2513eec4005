// A whole hub (embedded broker, ingest, forwarder, fleet, HTTP) plus a real test OFD, on
// ephemeral ports with a temp data dir; fast breaker timings unless a test overrides them.
import { silentLogger } from '../../shared/logger.js';
import { startTestOfd } from '../../hardware/sim/ofd/server.js';
import { HUB_DEFAULTS, hubConfigSchema, type HubConfig } from '../../hub/config.js';
import { deepMerge } from '../../shared/config.js';
import { Hub } from '../../hub/hub.js';
import { TEST_FN_KEY } from './documents.js';
import { BOX_SECRET, SERVICE_SECRET, tempDir } from './hub-fixture.js';

export const OPERATOR_TOKEN = 'operator-token-123';

export async function hubStack(over: Record<string, unknown> = {}, opts: { fnKey?: string | null } = {}) {
  const tmp = tempDir();
  const ofd = await startTestOfd({ apiKey: 'ofd-key', fnKey: opts.fnKey === undefined ? TEST_FN_KEY : opts.fnKey });
  const cfg: HubConfig = hubConfigSchema.parse(deepMerge(deepMerge(HUB_DEFAULTS, {
    dataDir: tmp.dir,
    mqtt: { port: 0, password: SERVICE_SECRET },
    http: { port: 0, operatorToken: OPERATOR_TOKEN },
    ofd: { url: ofd.url, apiKey: 'ofd-key', halfOpenAfterMs: 500, requestTimeoutMs: 1000, backoffInitialMs: 50, backoffMaxMs: 200 },
    boxes: [{ store: 'store-1', box: 'box-1', secret: BOX_SECRET }, { store: 'store-1', box: 'box-2', secret: BOX_SECRET }],
  }), over));
  const hub = new Hub(cfg, { logger: silentLogger() });
  try {
    await hub.start();
  } catch (err) {
    // Whatever started before the failure (database, broker) and the OFD and data dir: a
    // caller that retries on another port must not inherit them.
    await hub.stop().catch(() => undefined);
    await ofd.close();
    tmp.cleanup();
    throw err;
  }
  const stack = {
    hub, ofd, cfg, dir: tmp.dir,
    /** Stops whichever hub `stack.hub` is now (tests may replace it after a restart). */
    async close() { await stack.hub.stop(); await ofd.close(); tmp.cleanup(); },
  };
  return stack;
}

export type HubStack = Awaited<ReturnType<typeof hubStack>>;
