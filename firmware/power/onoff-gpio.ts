// The real power-loss input on a Raspberry Pi, through onoff (sysfs GPIO). onoff is loaded
// only when this backend is chosen, so the box runs on machines without GPIO (simulator).
// Debounce is done by PowerMonitor for every backend alike; onoff's own is left off.
import { createRequire } from 'node:module';
import type { Gpio as OnoffGpio } from 'onoff';
import { sysfsGpioNumber } from './gpio-chip.js';
import type { GpioInput, Level } from './gpio-input.js';

export interface OnoffOptions { pin: number; gpioBase?: number | undefined; sysfsRoot?: string }

export class OnoffGpioInput implements GpioInput {
  private readonly gpio: OnoffGpio;

  constructor(opts: OnoffOptions) {
    const require = createRequire(import.meta.url);
    const { Gpio } = require('onoff') as { Gpio: typeof OnoffGpio };
    if (!Gpio.accessible) {
      throw new Error('GPIO is not accessible on this machine (no /sys/class/gpio); use power.gpio = "simulator"');
    }
    const number = sysfsGpioNumber(opts.pin, { baseOverride: opts.gpioBase, ...(opts.sysfsRoot ? { sysfsRoot: opts.sysfsRoot } : {}) });
    this.gpio = new Gpio(number, 'in', 'both');
  }

  read(): Level {
    return this.gpio.readSync();
  }

  watch(cb: (level: Level) => void): void {
    this.gpio.watch((err, value) => {
      if (!err) cb(value);
    });
  }

  close(): void {
    this.gpio.unwatchAll();
    this.gpio.unexport();
  }
}
