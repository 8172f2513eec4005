// The hook through which box parts report state changes fleet ops must see (power, buffer
// fill, clock drift, database recovery). The uplink implements it with retained MQTT
// messages under the box's own topics; until one is plugged in, states go to the log only.
import type { Logger } from '../shared/logger.js';

/** Names of the retained status subjects (the uplink maps each to its MQTT topic). */
export type StatusSubject = 'power' | 'buffer' | 'clock' | 'database';

export interface StatusPublisher {
  /** Publishes the latest state of `subject`; retained, so a late subscriber sees it. */
  publish(subject: StatusSubject, state: Record<string, unknown>): Promise<void>;
}

export class LogStatusPublisher implements StatusPublisher {
  readonly last = new Map<StatusSubject, Record<string, unknown>>();
  constructor(private readonly log: Logger) {}

  async publish(subject: StatusSubject, state: Record<string, unknown>): Promise<void> {
    this.last.set(subject, state);
    this.log.info({ subject, state }, 'status');
  }
}

/** Publishes to several hooks; one failing hook does not stop the others. */
export class FanoutStatusPublisher implements StatusPublisher {
  private readonly hooks: StatusPublisher[] = [];
  constructor(private readonly log: Logger, ...hooks: StatusPublisher[]) {
    this.hooks.push(...hooks);
  }

  add(hook: StatusPublisher): void {
    this.hooks.push(hook);
  }

  async publish(subject: StatusSubject, state: Record<string, unknown>): Promise<void> {
    const results = await Promise.allSettled(this.hooks.map((h) => h.publish(subject, state)));
    for (const r of results) if (r.status === 'rejected') this.log.warn({ err: r.reason, subject }, 'status hook failed');
  }
}
