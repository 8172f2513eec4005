// GPIO simulators behind the same interface as the real line. SimulatedGpio is driven from
// tests in-process; FileMainsSimulator lets another process (the demo stack's operator via
// `npm run mains -- off|on`) pull the simulated mains by writing one word to a file.
import { readFileSync, writeFileSync } from 'node:fs';
import type { GpioInput, Level } from './gpio-input.js';

export class SimulatedGpio implements GpioInput {
  private cb: ((level: Level) => void) | null = null;
  constructor(private level: Level = 0) {}

  read(): Level {
    return this.level;
  }

  watch(cb: (level: Level) => void): void {
    this.cb = cb;
  }

  /** Drives the line like the HAT would; an unchanged level is not an edge. */
  set(level: Level): void {
    if (level === this.level) return;
    this.level = level;
    this.cb?.(level);
  }

  close(): void {
    this.cb = null;
  }
}

export type MainsWord = 'on' | 'off';

export function writeMainsFile(file: string, mains: MainsWord): void {
  writeFileSync(file, `${mains}\n`);
}

/**
 * Reads "on"/"off" (mains present/lost) from `file` and shows it as the level the configured
 * HAT would put on its line. A missing or unreadable file counts as mains on, so a box
 * never powers itself off because a demo file was deleted.
 */
export class FileMainsSimulator implements GpioInput {
  private readonly sim: SimulatedGpio;
  private timer: NodeJS.Timeout | null = null;

  constructor(private readonly file: string, private readonly lossLevel: Level, private readonly pollMs = 100) {
    this.sim = new SimulatedGpio(this.levelFromFile());
  }

  read(): Level {
    return this.sim.read();
  }

  watch(cb: (level: Level) => void): void {
    this.sim.watch(cb);
    if (this.timer) return;
    // Reading a 4-byte file on a timer: survives the file being created or replaced later
    // (fs.watch does not), and unlike watchFile has no race with a write made right after
    // watching started (watchFile's first stat can already include it).
    this.timer = setInterval(() => this.sim.set(this.levelFromFile()), this.pollMs);
    this.timer.unref();
  }

  close(): void {
    if (this.timer) clearInterval(this.timer);
    this.timer = null;
    this.sim.close();
  }

  private levelFromFile(): Level {
    let word = 'on';
    try {
      word = readFileSync(this.file, 'utf8').trim().toLowerCase();
    } catch {
      // no file: mains on
    }
    const lost = word === 'off';
    return (lost ? this.lossLevel : 1 - this.lossLevel) as Level;
  }
}
