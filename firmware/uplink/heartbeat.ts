// Heartbeat every 30 s (seed W4.2): buffer, printer/FN, link state and system facts. The
// box's own link state follows the seed's hysteresis (LinkMonitor). System facts come from
// systeminformation, polled once per heartbeat (a poll takes ~0.5 s on a Pi).
import { resolve } from 'node:path';
import si from 'systeminformation';
import type { Logger } from '../../shared/logger.js';
import { encodePayload, heartbeatMessage, type HeartbeatInput, type HeartbeatMessage } from '../../shared/mqtt/messages.js';
import type { ReceiptBuffer } from '../buffer/receipt-buffer.js';
import { LinkMonitor, type LinkState } from './link-state.js';
import type { Uplink } from './uplink.js';

export type SystemFacts = HeartbeatInput['system'];

export async function readSystemFacts(dir: string): Promise<SystemFacts> {
  const [temp, load, mem, fs] = await Promise.all([
    si.cpuTemperature().catch(() => null), si.currentLoad().catch(() => null), si.mem().catch(() => null), si.fsSize().catch(() => null),
  ]);
  // The mount that holds the data dir: the longest mount path that is the dir or one of its
  // parents (a relative dir such as the demo's ./data/box matched no mount at all before).
  const abs = resolve(dir);
  const holds = (mount: string) => abs === mount || abs.startsWith(mount.endsWith('/') ? mount : `${mount}/`);
  const disk = fs?.filter((f) => holds(f.mount)).sort((a, b) => b.mount.length - a.mount.length)[0];
  return {
    cpu_temp_c: temp?.main ?? null,
    load1: load ? Math.round(load.avgLoad * 100) / 100 : null,
    mem_used_pct: mem ? Math.round((mem.active / mem.total) * 1000) / 10 : null,
    disk_free_bytes: disk ? disk.available : null,
  };
}

export interface HeartbeatOptions {
  periodMs: number;
  dataDir: string;
  version: string;
  printerState: () => string;
  facts?: () => Promise<SystemFacts>;
  /** The box's health report in short (firmware/health): sent so the hub sees what /health says. */
  health?: () => Promise<HeartbeatMessage['health']>;
}

export class Heartbeat {
  readonly link: LinkMonitor;
  #timer: NodeJS.Timeout | null = null;
  #seq = 0;
  readonly #started = Date.now();

  constructor(private readonly uplink: Uplink, private readonly buffer: ReceiptBuffer, private readonly o: HeartbeatOptions, log: Logger) {
    this.link = new LinkMonitor(3, 2, (s: LinkState) => log.info({ state: s }, 'uplink link state changed'));
  }

  /** Beats every period, and at once on every (re)connect so a returning link shows quickly. */
  start(): void {
    this.#timer = setInterval(() => { void this.beat(); }, this.o.periodMs);
    this.#timer.unref();
    this.uplink.on('connected', this.#onConnect);
  }

  readonly #onConnect = (): void => { void this.beat(); };

  stop(): void {
    if (this.#timer) clearInterval(this.#timer);
    this.uplink.off('connected', this.#onConnect);
  }

  async payload(): Promise<Buffer> {
    const st = this.buffer.status();
    const counts = this.uplink.outbox.counts();
    const fn = this.uplink.fn;
    const [fnUnsent, fnOldestAgeS, system, health] = await Promise.all([
      fn.unconfirmed(), fn.oldestUnconfirmedAgeS?.() ?? Promise.resolve(null), (this.o.facts ?? (() => readSystemFacts(this.o.dataDir)))(),
      // A failing check must not cost the heartbeat: the hub then only misses this part.
      this.o.health?.().catch(() => undefined),
    ]);
    return encodePayload(heartbeatMessage, {
      v: 1, store_id: this.uplink.address.store, box_id: this.uplink.address.box, seq: this.#seq++,
      sent_at: new Date().toISOString(), uptime_s: Math.round((Date.now() - this.#started) / 1000), version: this.o.version,
      buffer: {
        pending: counts.unsent + st.by_status.buffered + st.by_status.print_failed, delivered_unsynced: counts.unsynced, dlq: st.dlq_count,
        capacity: st.total_capacity, percent: Math.min(100, st.percent_full), oldest_pending_age_s: st.oldest_pending_age_s,
      },
      printer: { state: this.o.printerState(), fn_docs_without_ticket: fnUnsent, fn_oldest_without_ticket_age_s: fnOldestAgeS },
      link: { state: this.link.state, ofd_breaker: this.uplink.hubBreaker },
      system,
      ...(health ? { health } : {}),
    });
  }

  /** One heartbeat; its fate feeds the link hysteresis. */
  async beat(): Promise<boolean> {
    const ok = await this.uplink.publishHeartbeat(await this.payload());
    if (ok) this.link.success(); else this.link.failure();
    return ok;
  }
}
