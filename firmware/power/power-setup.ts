// Builds the power-loss input the config asks for: the real line (onoff), the file-driven
// simulator, or none. Kept apart from box.ts so the composition root stays one line per part.
import { execFile } from 'node:child_process';
import { join } from 'node:path';
import { promisify } from 'node:util';
import type { BoxConfig } from '../config.js';
import type { GpioInput, Level } from './gpio-input.js';
import { OnoffGpioInput } from './onoff-gpio.js';
import { loadPinMaps } from './pinmaps.js';
import { PowerMonitor } from './power-monitor.js';
import { FileMainsSimulator } from './simulated-gpio.js';

export interface ResolvedPowerLine { pin: number; lossLevel: Level }

export function resolvePowerLine(power: BoxConfig['power']): ResolvedPowerLine {
  const maps = loadPinMaps();
  const row = maps[power.hat];
  if (!row && (power.pin === undefined || power.lossLevel === undefined)) {
    throw new Error(`power.hat "${power.hat}" is not a pin map in hardware/ups/ (known: ${Object.keys(maps).join(', ')}); set power.pin and power.lossLevel`);
  }
  const pin = power.pin ?? (row as NonNullable<typeof row>).powerLossPin;
  const level = power.lossLevel ?? (row as NonNullable<typeof row>).lossLevel;
  return { pin, lossLevel: level === 'high' ? 1 : 0 };
}

export function simulatorFile(config: BoxConfig): string {
  return config.power.simulatorFile ?? join(config.dataDir, 'mains');
}

/** The monitor for the configured line; `input` (tests) replaces the configured backend. */
export function createPowerMonitor(config: BoxConfig, input?: GpioInput): PowerMonitor | null {
  const p = config.power;
  if (p.gpio === 'none' && !input) return null;
  const line = resolvePowerLine(p);
  const gpio = input ?? (p.gpio === 'onoff'
    ? new OnoffGpioInput({ pin: line.pin, gpioBase: p.gpioBase })
    : new FileMainsSimulator(simulatorFile(config), line.lossLevel));
  return new PowerMonitor(gpio, { lossLevel: line.lossLevel, debounceMs: p.debounceMs });
}

/** The OS power-off step. A simulated line never powers the machine off unless told to. */
export function powerOffCommand(config: BoxConfig): () => Promise<void> {
  const cmd = config.power.poweroffCommand ?? (config.power.gpio === 'onoff' ? ['systemctl', 'poweroff'] : []);
  const run = promisify(execFile);
  return async () => {
    const [file, ...args] = cmd;
    if (file) await run(file, args, { timeout: 30_000 });
  };
}
