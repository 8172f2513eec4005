// The uplink's side of the box's StatusPublisher hook: the power sequence's retained state
// becomes the contract's `power` message on kkt/v1/{store}/{box}/power. Buffer fill, clock
// drift and a set-aside database reach the hub in every heartbeat (`health`, from /health), so
// only power, which must arrive before the box goes dark, needs a retained topic of its own.
import { toPowerContract } from '../power/power-message.js';
import type { StatusPublisher, StatusSubject } from '../status-publisher.js';
import type { Uplink } from './uplink.js';

export class UplinkStatusPublisher implements StatusPublisher {
  constructor(private readonly uplink: Pick<Uplink, 'publishPower'>, private readonly timeoutMs = 3000) {}

  async publish(subject: StatusSubject, state: Record<string, unknown>): Promise<void> {
    if (subject !== 'power') return;
    const { sequence: _sequence, ...message } = toPowerContract(state);
    // On battery the broker may be gone: never let the power-off sequence wait on it for long.
    let timer: NodeJS.Timeout | undefined;
    const timeout = new Promise<void>((resolve) => { timer = setTimeout(resolve, this.timeoutMs); });
    try {
      await Promise.race([this.uplink.publishPower({ v: 1, source: message.source, battery_pct: message.battery_pct, state: message.state, at: message.at }), timeout]);
    } finally {
      clearTimeout(timer);
    }
  }
}
