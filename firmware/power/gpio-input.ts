// The narrow edge between the power module and the UPS HAT's power-loss line. The real
// backend (onoff, sysfs) and the simulator both implement it; nothing above this file knows
// which one is plugged in.

/** A raw line level: 1 = high, 0 = low. What a level means (mains lost or present) is config. */
export type Level = 0 | 1;

export interface GpioInput {
  /** The current level of the line. */
  read(): Level;
  /** Calls `cb` on every edge (both directions) with the new level. One watcher per input. */
  watch(cb: (level: Level) => void): void;
  /** Stops watching and releases the line. */
  close(): void;
}
