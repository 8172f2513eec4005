// Turns raw line edges into debounced "mains lost" / "mains back" events. A UPS HAT's line
// chatters when the plug is wiggled; a change counts only after it has held for debounceMs.
import { EventEmitter } from 'node:events';
import type { GpioInput, Level } from './gpio-input.js';

export interface PowerMonitorOptions {
  /** The level the HAT puts on the line while mains is lost. */
  lossLevel: Level;
  debounceMs: number;
}

export interface PowerMonitorEvents {
  lost: [];
  restored: [];
}

export class PowerMonitor extends EventEmitter<PowerMonitorEvents> {
  private lost: boolean;
  private pending: NodeJS.Timeout | null = null;
  private stopped = false;

  constructor(private readonly input: GpioInput, private readonly opts: PowerMonitorOptions) {
    super();
    this.lost = input.read() === opts.lossLevel;
  }

  /** Mains lost as of the last debounced reading. */
  get mainsLost(): boolean {
    return this.lost;
  }

  start(): void {
    this.input.watch(() => this.onEdge());
  }

  stop(): void {
    if (this.stopped) return;
    this.stopped = true;
    if (this.pending) clearTimeout(this.pending);
    this.pending = null;
    this.input.close();
  }

  private onEdge(): void {
    // Each edge restarts the wait; the level is read again when the wait ends, so a flicker
    // that returns to the old level within debounceMs is no event at all.
    if (this.pending) clearTimeout(this.pending);
    this.pending = setTimeout(() => {
      this.pending = null;
      const lost = this.input.read() === this.opts.lossLevel;
      if (lost === this.lost) return;
      this.lost = lost;
      this.emit(lost ? 'lost' : 'restored');
    }, this.opts.debounceMs);
  }
}
