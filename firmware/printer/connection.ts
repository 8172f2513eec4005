// Keeps the printer line open: opens it at start, and after an unplug reopens it with backoff
// until the tty is back. Meanwhile the state says "disconnected" and every command fails at
// once with PrinterUnavailableError (the transport refuses a closed line), so sales get a
// clear answer instead of hanging.
import { EventEmitter } from 'node:events';
import type { SerialLine } from './serial-line.js';
import type { Transport } from './transport.js';
import type { Logger } from '../../shared/logger.js';

export type LineState = 'connecting' | 'connected' | 'disconnected' | 'stopped';

export interface BackoffOptions { initialMs: number; maxMs: number }

export class PrinterConnection extends EventEmitter<{ state: [LineState] }> {
  private _state: LineState = 'connecting';
  private timer: NodeJS.Timeout | null = null;
  private delay: number;
  lastError: string | null = null;
  since = Date.now();

  constructor(private readonly line: SerialLine, private readonly transport: Transport, private readonly log: Logger,
    private readonly backoff: BackoffOptions = { initialMs: 200, maxMs: 5000 }) {
    super();
    this.delay = backoff.initialMs;
    line.onClose((disconnected) => {
      if (this._state === 'stopped') return;
      this.log.warn({ path: line.path, disconnected }, 'printer line closed');
      this.set('disconnected');
      this.schedule();
    });
  }

  get state(): LineState {
    return this._state;
  }

  private set(s: LineState): void {
    if (s === this._state) return;
    this._state = s;
    this.since = Date.now();
    this.emit('state', s);
  }

  /** Resolves after the first attempt, connected or not (the retries go on in the background). */
  async start(): Promise<void> {
    await this.attempt();
  }

  /** Resolves once connected (for tests and start-up scripts that must wait). */
  async waitConnected(timeoutMs: number): Promise<void> {
    if (this._state === 'connected') return;
    await new Promise<void>((resolve, reject) => {
      const t = setTimeout(() => {
        this.off('state', on);
        reject(new Error(`printer not connected after ${timeoutMs} ms: ${this.lastError ?? 'no error'}`));
      }, timeoutMs);
      const on = (s: LineState) => {
        if (s !== 'connected') return;
        clearTimeout(t);
        this.off('state', on);
        resolve();
      };
      this.on('state', on);
    });
  }

  private async attempt(): Promise<void> {
    this.timer = null;
    if (this._state === 'stopped') return;
    try {
      await this.line.open();
      this.transport.lineOpened();
      this.delay = this.backoff.initialMs;
      this.lastError = null;
      this.log.info({ path: this.line.path, low_latency: this.line.lowLatency ?? false }, 'printer line open');
      this.set('connected');
    } catch (err) {
      this.lastError = (err as Error).message;
      this.set('disconnected');
      this.schedule();
    }
  }

  private schedule(): void {
    if (this.timer || this._state === 'stopped') return;
    const d = this.delay;
    this.delay = Math.min(this.backoff.maxMs, this.delay * 2);
    this.timer = setTimeout(() => void this.attempt(), d);
    this.timer.unref();
  }

  async stop(): Promise<void> {
    this.set('stopped');
    if (this.timer) clearTimeout(this.timer);
    this.timer = null;
    await this.line.close();
  }
}
