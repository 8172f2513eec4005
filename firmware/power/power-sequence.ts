// The orderly stop, for a power cut and for SIGTERM alike:
//   close the sales gate (503) -> wait for the sale being printed -> checkpoint the WAL ->
//   publish the retained `power` status -> (power cut only) wait out the grace, then stop
//   the box and ask the OS to power off. Mains back within the grace resumes without reboot.
import { EventEmitter } from 'node:events';
import type { Logger } from '../../shared/logger.js';
import type { SalesGate } from '../api/sales-gate.js';
import type { StatusPublisher } from '../status-publisher.js';
import type { PowerMonitor } from './power-monitor.js';

export type PowerState = 'mains' | 'on_battery' | 'shutting_down' | 'stopped';

export interface PowerSequenceDeps {
  gate: SalesGate;
  /** Copies the WAL into the main database file so a cut loses nothing the OS cached. */
  checkpoint: () => void;
  status: StatusPublisher;
  /** Stops the box (closes the API and the database). */
  stopBox: () => Promise<void>;
  /** Asks the OS to power off (after stopBox). */
  powerOff: () => Promise<void>;
  log: Logger;
  node: string;
  graceMs: number;
  retryAfterS: number;
  /** Longest wait for the sale in flight before the stop goes on (a hung print must not keep the box up). */
  idleWaitMs?: number;
  now?: () => Date;
}

export interface PowerSequenceEvents {
  state: [PowerState];
}

export const POWER_LOSS_MESSAGE = 'Пропало питание кассового оборудования. Продажа приостановлена, пробитые чеки сохранены. Повторите попытку после восстановления питания.';
export const SHUTDOWN_MESSAGE = 'Фискальный блок перезапускается. Пробитые чеки сохранены. Повторите попытку через минуту.';

export class PowerSequence extends EventEmitter<PowerSequenceEvents> {
  private current: PowerState = 'mains';
  private graceTimer: NodeJS.Timeout | null = null;
  /** Bumped on every transition, so a step that awaited sees it was overtaken. */
  private epoch = 0;
  private stopping: Promise<void> | null = null;
  private readonly now: () => Date;

  constructor(private readonly deps: PowerSequenceDeps, private readonly monitor: PowerMonitor | null) {
    super();
    this.now = deps.now ?? (() => new Date());
  }

  get state(): PowerState {
    return this.current;
  }

  /** Watches the monitor; a box that starts on battery goes straight into the loss sequence. */
  async start(): Promise<void> {
    if (!this.monitor) return;
    this.monitor.on('lost', () => void this.onLost());
    this.monitor.on('restored', () => void this.onRestored());
    this.monitor.start();
    if (this.monitor.mainsLost) await this.onLost();
    else await this.publish({ reason: 'start' });
  }

  /** SIGTERM and the end of the grace: the same orderly path, idempotent. */
  shutdown(reason: string, powerOff = false): Promise<void> {
    this.stopping ??= this.runShutdown(reason, powerOff);
    return this.stopping;
  }

  /** Releases the GPIO line (Box.stop calls it; a stopped box watches nothing). */
  stopWatching(): void {
    if (this.graceTimer) clearTimeout(this.graceTimer);
    this.graceTimer = null;
    this.monitor?.stop();
  }

  private async onLost(): Promise<void> {
    if (this.current !== 'mains') return;
    const epoch = this.enter('on_battery');
    this.deps.log.warn({ grace_ms: this.deps.graceMs }, 'mains lost: sales paused');
    this.deps.gate.close({
      cause: 'power-loss',
      detail: `mains power is lost; the box runs on its UPS and takes no new sales. Retry after mains returns (the box powers off in ${Math.round(this.deps.graceMs / 1000)} s otherwise).`,
      cashierMessage: POWER_LOSS_MESSAGE, retryAfterS: this.deps.retryAfterS,
    });
    this.graceTimer = setTimeout(() => void this.shutdown('mains lost for the whole grace period', true), this.deps.graceMs);
    await this.deps.gate.idle();
    if (epoch !== this.epoch) return;
    this.checkpoint();
    await this.publish({ reason: 'mains lost', grace_ms: this.deps.graceMs, poweroff_at: new Date(this.now().getTime() + this.deps.graceMs).toISOString() });
  }

  private async onRestored(): Promise<void> {
    if (this.current !== 'on_battery') return;
    if (this.graceTimer) clearTimeout(this.graceTimer);
    this.graceTimer = null;
    this.enter('mains');
    this.deps.gate.open();
    this.deps.log.info('mains back within the grace period: sales resume, no reboot');
    await this.publish({ reason: 'mains restored' });
  }

  private async runShutdown(reason: string, powerOff: boolean): Promise<void> {
    if (this.graceTimer) clearTimeout(this.graceTimer);
    this.graceTimer = null;
    this.enter('shutting_down');
    this.deps.log.warn({ reason, power_off: powerOff }, 'orderly shutdown');
    this.deps.gate.close({
      cause: 'shutting-down', detail: `the box is shutting down (${reason}); retry when it is back`,
      cashierMessage: SHUTDOWN_MESSAGE, retryAfterS: this.deps.retryAfterS,
    });
    await this.waitForSales();
    this.checkpoint();
    await this.publish({ reason, power_off: powerOff });
    await this.deps.stopBox();
    if (powerOff) {
      this.deps.log.warn('asking the OS to power off');
      try {
        await this.deps.powerOff();
      } catch (err) {
        this.deps.log.error({ err }, 'power-off command failed; the box is stopped anyway');
      }
    }
    this.enter('stopped');
  }

  private async waitForSales(): Promise<void> {
    let timer: NodeJS.Timeout | undefined;
    const limit = new Promise<'timeout'>((resolve) => { timer = setTimeout(() => resolve('timeout'), this.deps.idleWaitMs ?? 15_000); });
    const r = await Promise.race([this.deps.gate.idle().then(() => 'idle' as const), limit]);
    clearTimeout(timer);
    if (r === 'timeout') this.deps.log.error({ in_flight: this.deps.gate.inFlight }, 'sale still in flight at shutdown; stopping anyway (it is stored; its print is settled at the next start)');
  }

  private enter(state: PowerState): number {
    this.current = state;
    this.epoch += 1;
    this.emit('state', state);
    return this.epoch;
  }

  private checkpoint(): void {
    try {
      this.deps.checkpoint();
    } catch (err) {
      // A failed checkpoint loses nothing (the WAL itself is durable); it must not stop the
      // sequence from reaching a clean close.
      this.deps.log.error({ err }, 'WAL checkpoint failed');
    }
  }

  private async publish(extra: Record<string, unknown>): Promise<void> {
    await this.deps.status.publish('power', {
      node: this.deps.node, state: this.current, mains: this.monitor ? !this.monitor.mainsLost : null,
      at: this.now().toISOString(), ...extra,
    });
  }
}
