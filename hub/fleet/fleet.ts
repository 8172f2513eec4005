// The fleet's link states with hysteresis, so one lost heartbeat does not page anyone: a box
// goes offline after 3 missed heartbeats (90 s at the 30 s period) or at once on its last
// will, and comes back online only after 2 heartbeats in a row.
import { EventEmitter } from 'node:events';
import type { BoxStatusMessage, HeartbeatMessage, PowerMessage } from '../../shared/mqtt/messages.js';
import type { BoxAddress } from '../../shared/mqtt/topics.js';

export interface FleetConfig {
  heartbeatPeriodMs: number;
  missedToOffline: number;
  heartbeatsToOnline: number;
}

export const DEFAULT_FLEET: FleetConfig = { heartbeatPeriodMs: 30_000, missedToOffline: 3, heartbeatsToOnline: 2 };

export type LinkState = 'online' | 'offline' | 'unknown';

export interface BoxView {
  store: string;
  box: string;
  state: LinkState;
  since: string | null;
  last_heartbeat_at: string | null;
  reason: string | null;
  heartbeat: HeartbeatMessage | null;
  reported_status: BoxStatusMessage | null;
  power: PowerMessage | null;
  /** The broker's last refusal of this box (a wrong store id, a foreign topic): a misconfigured box. */
  last_refusal: BrokerRefusalView | null;
}

export interface BrokerRefusalView { at: string; action: string; reason: string }

interface Entry extends BoxView { streak: number; timer: NodeJS.Timeout | null }

export interface FleetEvents {
  change: [view: BoxView];
  heartbeat: [view: BoxView];
}

export class Fleet extends EventEmitter<FleetEvents> {
  readonly #cfg: FleetConfig;
  readonly #boxes = new Map<string, Entry>();
  readonly #now: () => Date;

  constructor(cfg: FleetConfig = DEFAULT_FLEET, now: () => Date = () => new Date()) {
    super();
    this.#cfg = cfg;
    this.#now = now;
  }

  /** Registered boxes show up as unknown until they speak. */
  register(a: BoxAddress): void {
    this.#entry(a);
  }

  #entry(a: BoxAddress): Entry {
    const key = `${a.store}/${a.box}`;
    let e = this.#boxes.get(key);
    if (!e) {
      e = { store: a.store, box: a.box, state: 'unknown', since: null, last_heartbeat_at: null, reason: null, heartbeat: null, reported_status: null, power: null, last_refusal: null, streak: 0, timer: null };
      this.#boxes.set(key, e);
    }
    return e;
  }

  #set(e: Entry, state: LinkState, reason: string): void {
    if (e.state === state) return;
    e.state = state;
    e.reason = reason;
    e.since = this.#now().toISOString();
    this.emit('change', this.#view(e));
  }

  onHeartbeat(a: BoxAddress, hb: HeartbeatMessage): void {
    const e = this.#entry(a);
    e.heartbeat = hb;
    e.last_heartbeat_at = this.#now().toISOString();
    if (e.state !== 'online') {
      e.streak++;
      if (e.streak >= this.#cfg.heartbeatsToOnline) this.#set(e, 'online', `${e.streak} heartbeats in a row`);
    }
    if (e.timer) clearTimeout(e.timer);
    const missed = this.#cfg.missedToOffline;
    e.timer = setTimeout(() => {
      e.timer = null;
      e.streak = 0;
      this.#set(e, 'offline', `${missed} heartbeats missed`);
    }, this.#cfg.heartbeatPeriodMs * missed);
    e.timer.unref();
    this.emit('heartbeat', this.#view(e));
  }

  onStatus(a: BoxAddress, s: BoxStatusMessage): void {
    const e = this.#entry(a);
    e.reported_status = s;
    if (s.state === 'offline') {
      e.streak = 0;
      if (e.timer) clearTimeout(e.timer);
      e.timer = null;
      this.#set(e, 'offline', s.reason ?? 'box reported offline (last will)');
    }
  }

  onPower(a: BoxAddress, p: PowerMessage): void {
    this.#entry(a).power = p;
  }

  onBrokerRefused(a: BoxAddress, r: { action: string; reason: string }): void {
    this.#entry(a).last_refusal = { at: this.#now().toISOString(), action: r.action, reason: r.reason };
  }

  #view(e: Entry): BoxView {
    const { streak: _s, timer: _t, ...v } = e;
    return structuredClone(v);
  }

  list(): BoxView[] {
    return [...this.#boxes.values()].map((e) => this.#view(e)).sort((x, y) => `${x.store}/${x.box}`.localeCompare(`${y.store}/${y.box}`));
  }

  get(a: BoxAddress): BoxView | undefined {
    const e = this.#boxes.get(`${a.store}/${a.box}`);
    return e && this.#view(e);
  }

  stop(): void {
    for (const e of this.#boxes.values()) if (e.timer) clearTimeout(e.timer);
  }
}
