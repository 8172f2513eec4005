// The far side of the crash harness: the test OFD (in the harness process, so its counters
// outlive every kill) and the hub with its embedded broker as a child process that can be
// SIGKILLed mid-forwarding and restarted on the same MQTT port with the same data directory.
import { existsSync, mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { startTestOfd, type OfdStats, type TestOfd } from '../../hardware/sim/ofd/server.js';
import { openDatabase } from '../../shared/db.js';
import { HubProcess, onFreePort, onSamePort } from './hub-process.js';

export const STORE = 'store-1';
const OFD_KEY = 'crash-harness-ofd-key';

export interface HubCheck {
  /** Documents stored at the hub (one row per receipt id). */
  stored: number;
  confirmed: number;
  pending: number;
  dead: number;
  dlq: number;
}

export class HubStack {
  private hub: HubProcess | null = null;
  readonly restarts: number[] = [];
  private constructor(readonly ofd: TestOfd, readonly mqttUrl: string, private readonly env: Record<string, string>, private readonly dataDir: string) {}

  /** `ofdDelayMs`: every OFD answer takes this long, so forwarding is in flight most of the time. */
  static async start(dir: string, box: { id: string; secret: string }, ofdDelayMs: number): Promise<HubStack> {
    const ofd = await startTestOfd({ apiKey: OFD_KEY, fnKey: null }); // the emulator's FN key is its own secret
    if (ofdDelayMs > 0) await ofd.setFault({ mode: 'slow', delay_ms: ofdDelayMs });
    const dataDir = join(dir, 'hub');
    mkdirSync(dataDir, { recursive: true });
    const config = join(dir, 'hub.json');
    writeFileSync(config, JSON.stringify({ boxes: [{ store: STORE, box: box.id, secret: box.secret }] }));
    // Only the first start may move to another port; restarts keep the one it got.
    return onFreePort(async (port) => {
      const env = {
        HUB_CONFIG: config, HUB_DATA_DIR: dataDir, HUB_MQTT__PORT: String(port), HUB_MQTT__PASSWORD: 'crash-harness-hub-service',
        HUB_HTTP__PORT: '0', HUB_HTTP__OPERATOR_TOKEN: 'crash-harness-operator', HUB_ERP__ENABLED: 'false',
        HUB_OFD__URL: ofd.url, HUB_OFD__API_KEY: OFD_KEY, HUB_OFD__HALF_OPEN_AFTER_MS: '300',
        HUB_OFD__BACKOFF_INITIAL_MS: '50', HUB_OFD__BACKOFF_MAX_MS: '500', HUB_OFD__REQUEST_TIMEOUT_MS: '5000',
      };
      const stack = new HubStack(ofd, `mqtt://127.0.0.1:${port}`, env, dataDir);
      await stack.startHub();
      return stack;
    });
  }

  private async startHub(): Promise<void> {
    const s = performance.now();
    this.hub = new HubProcess(this.env);
    await this.hub.start();
    this.restarts.push(performance.now() - s);
  }

  /** kill -9 of the hub (broker, ingest and forwarder die together); returns the documents it
   *  had not forwarded yet (> 0: the kill landed mid-forwarding). */
  async kill(): Promise<number> {
    await this.hub?.kill();
    this.hub = null;
    return this.check().pending;
  }

  async restart(): Promise<void> {
    if (!this.hub) await onSamePort(() => this.startHub());
  }

  ofdStats(): OfdStats {
    return this.ofd.stats();
  }

  /** The hub's database, read-only (WAL: safe beside the running hub). */
  check(): HubCheck {
    const file = join(this.dataDir, 'hub.db');
    if (!existsSync(file)) return { stored: 0, confirmed: 0, pending: 0, dead: 0, dlq: 0 };
    const db = openDatabase(file, { readonly: true });
    try {
      const by = new Map((db.prepare('SELECT ofd_status AS s, COUNT(*) AS n FROM hub_documents GROUP BY ofd_status').all() as { s: string; n: number }[]).map((r) => [r.s, r.n]));
      const dlq = (db.prepare('SELECT COUNT(*) AS n FROM hub_dlq').get() as { n: number }).n;
      const confirmed = by.get('confirmed') ?? 0;
      const pending = by.get('pending') ?? 0;
      const dead = by.get('dead') ?? 0;
      return { stored: confirmed + pending + dead, confirmed, pending, dead, dlq };
    } catch {
      return { stored: 0, confirmed: 0, pending: 0, dead: 0, dlq: 0 }; // not migrated yet
    } finally {
      db.close();
    }
  }

  async stop(): Promise<number | null> {
    const code = (await this.hub?.terminate()) ?? null;
    await this.ofd.close();
    return code;
  }
}
