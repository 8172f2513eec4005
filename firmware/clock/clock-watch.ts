// A Pi has no RTC: until NTP answers, its clock may be at the last shutdown or in 1970, and
// NTP may then step it by hours. The HLC keeps receipt order right regardless; this watch
// tells people when the system clock disagrees with the clocks that know better — the
// fiscal printer's RTC (battery-backed) and the hub (from its acknowledgements) — because
// printed receipts and reports carry wall-clock dates.
import { Gauge, type Registry } from 'prom-client';
import type { Logger } from '../../shared/logger.js';
import type { CheckResult, HealthCheck } from '../health/health.js';
import type { StatusPublisher } from '../status-publisher.js';
import { parseHlc } from './hlc.js';

/** A clock the box can ask (the printer driver implements it for the KKT's clock). */
export interface ClockReference {
  name: string;
  /** Unix ms according to that clock, or null when it cannot be read now. */
  read(): Promise<number | null>;
}

export interface Offset { offset_s: number; observed_at: string }

export interface ClockWatchOptions {
  maxDriftS: number;
  pollMs: number;
  wallClock?: () => number;
}

/** Unix ms of a remote time given as HLC text or an ISO date; null if neither. */
export function remoteTimeMs(text: string): number | null {
  if (/^\d{15}-/.test(text)) {
    try {
      return parseHlc(text).wall;
    } catch {
      return null;
    }
  }
  const ms = Date.parse(text);
  return Number.isFinite(ms) ? ms : null;
}

export class ClockWatch implements HealthCheck {
  readonly name = 'clock';
  private readonly offsets = new Map<string, Offset>();
  private alarmed = false;
  private timer: NodeJS.Timeout | null = null;
  private readonly wall: () => number;

  constructor(private readonly refs: readonly ClockReference[], private readonly status: StatusPublisher, private readonly log: Logger,
    private readonly node: string, private readonly opts: ClockWatchOptions) {
    this.wall = opts.wallClock ?? Date.now;
  }

  start(): Promise<void> {
    if (this.refs.length) {
      this.timer = setInterval(() => void this.poll(), this.opts.pollMs);
      this.timer.unref();
    }
    return this.poll();
  }

  stop(): void {
    if (this.timer) clearInterval(this.timer);
    this.timer = null;
  }

  /** Asks every reference now (start-up, timer, tests). */
  async poll(): Promise<void> {
    for (const ref of this.refs) {
      let ms: number | null = null;
      try {
        ms = await ref.read();
      } catch (err) {
        this.log.debug({ err, source: ref.name }, 'clock reference unreadable');
      }
      if (ms !== null) await this.observe(ref.name, ms);
    }
  }

  /** Records what `source` says the time is now (`remoteMs`); raises or clears the alarm. */
  async observe(source: string, remoteMs: number): Promise<void> {
    const local = this.wall();
    this.offsets.set(source, { offset_s: Math.round((local - remoteMs) / 100) / 10, observed_at: new Date(local).toISOString() });
    const worst = this.worst();
    const alarm = worst !== null && Math.abs(worst.offset_s) > this.opts.maxDriftS;
    if (alarm === this.alarmed) return;
    this.alarmed = alarm;
    if (alarm) this.log.warn({ offsets: Object.fromEntries(this.offsets), max_drift_s: this.opts.maxDriftS }, 'system clock drifts from its references (no RTC / NTP not synced?)');
    else this.log.info({ offsets: Object.fromEntries(this.offsets) }, 'system clock agrees with its references again');
    await this.status.publish('clock', this.statusPayload());
  }

  registerMetrics(registry: Registry): void {
    const offsets = this.offsets;
    const alarmed = () => this.alarmed;
    new Gauge({
      name: 'box_clock_offset_seconds',
      help: 'System clock minus a reference clock (printer RTC, hub, OFD), seconds',
      labelNames: ['source'] as const,
      registers: [registry],
      collect() {
        for (const [source, o] of offsets) this.set({ source }, o.offset_s);
      },
    });
    new Gauge({
      name: 'box_clock_drift_alarm',
      help: '1 while the system clock is off by more than clock.maxDriftS from a reference',
      registers: [registry],
      collect() {
        this.set(alarmed() ? 1 : 0);
      },
    });
  }

  /** Offsets (system minus reference, seconds) by source, for the metric. */
  get snapshot(): ReadonlyMap<string, Offset> {
    return this.offsets;
  }

  get alarm(): boolean {
    return this.alarmed;
  }

  check(): CheckResult {
    return { ok: true, degraded: this.alarmed, detail: this.statusPayload() };
  }

  private worst(): ({ source: string } & Offset) | null {
    let w: ({ source: string } & Offset) | null = null;
    for (const [source, o] of this.offsets) if (!w || Math.abs(o.offset_s) > Math.abs(w.offset_s)) w = { source, ...o };
    return w;
  }

  private statusPayload(): Record<string, unknown> {
    return {
      node: this.node, state: this.alarmed ? 'drift' : 'ok', system_time: new Date(this.wall()).toISOString(),
      max_drift_s: this.opts.maxDriftS, offsets: Object.fromEntries(this.offsets),
    };
  }
}
