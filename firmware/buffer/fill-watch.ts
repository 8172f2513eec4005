// Watches how full the buffer is (the uplink cannot drain while the hub is unreachable):
// at warnPercent health turns degraded and a retained `buffer` status is published; at
// capacity health fails (new sales get 507, nothing is dropped). Checked after every sale
// and on a slow timer, so a drain by the uplink is noticed too.
import type { Logger } from '../../shared/logger.js';
import type { CheckResult, HealthCheck } from '../health/health.js';
import type { StatusPublisher } from '../status-publisher.js';
import type { FillState, ReceiptBuffer } from './receipt-buffer.js';

export class FillWatch implements HealthCheck {
  readonly name = 'buffer';
  private last: FillState;
  private timer: NodeJS.Timeout | null = null;

  constructor(private readonly buffer: ReceiptBuffer, private readonly status: StatusPublisher, private readonly log: Logger,
    private readonly node: string) {
    this.last = buffer.fillState();
  }

  get state(): FillState {
    return this.last;
  }

  start(pollMs = 5000): Promise<void> {
    this.timer = setInterval(() => void this.update(), pollMs);
    this.timer.unref();
    return this.publish();
  }

  stop(): void {
    if (this.timer) clearInterval(this.timer);
    this.timer = null;
  }

  /** Re-reads the fill state; publishes and logs when it changed. */
  async update(): Promise<void> {
    const now = this.buffer.fillState();
    if (now === this.last) return;
    const before = this.last;
    this.last = now;
    const fields = { from: before, to: now, queued: this.buffer.queuedCount };
    if (now === 'ok') this.log.info(fields, 'buffer back below the warning level');
    else if (now === 'warning') this.log.warn(fields, 'buffer filling up: the hub has not taken receipts for a while');
    else this.log.error(fields, 'buffer FULL: new sales are refused until the backlog drains');
    await this.publish();
  }

  check(): CheckResult {
    const s = this.buffer.fillState();
    const detail = { fill_state: s, queued: this.buffer.queuedCount };
    return { ok: s !== 'full', degraded: s === 'warning', detail };
  }

  private publish(): Promise<void> {
    const s = this.buffer.status();
    return this.status.publish('buffer', {
      node: this.node, state: s.fill_state, queued: s.current_queued, capacity: s.total_capacity,
      percent_full: s.percent_full, oldest_pending_hlc: s.oldest_pending_hlc, at: new Date().toISOString(),
    });
  }
}
