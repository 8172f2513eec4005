// Maps a BCM pin number (what HAT vendors print, e.g. GPIO6) to the Linux sysfs GPIO number.
// Since Raspberry Pi kernel 6.6 the SoC's chip no longer starts at 0: gpiochip512 on a Pi 4
// (label pinctrl-bcm2711), gpiochip571 on a Pi 5 (label pinctrl-rp1). Hard-coding 6 would
// silently watch another chip's line, so the base is read from sysfs by label.
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';

/** Labels of the header's GPIO controller on Raspberry Pi 1-5. */
const HEADER_CHIP_LABEL = /^pinctrl-(bcm2835|bcm2711|bcm2712|rp1)$/;

export interface GpioChipInfo { name: string; base: number; ngpio: number; label: string }

export function listGpioChips(sysfsRoot = '/sys/class/gpio'): GpioChipInfo[] {
  let names: string[];
  try {
    names = readdirSync(sysfsRoot).filter((n) => n.startsWith('gpiochip'));
  } catch {
    return [];
  }
  const read = (chip: string, f: string) => readFileSync(join(sysfsRoot, chip, f), 'utf8').trim();
  return names.map((name) => ({ name, base: Number(read(name, 'base')), ngpio: Number(read(name, 'ngpio')), label: read(name, 'label') }));
}

/**
 * The sysfs number of header pin `bcm`. `baseOverride` wins (a board we do not know);
 * otherwise the chip is found by label. Throws a message naming what was found.
 */
export function sysfsGpioNumber(bcm: number, opts: { sysfsRoot?: string; baseOverride?: number | undefined } = {}): number {
  if (opts.baseOverride !== undefined) return opts.baseOverride + bcm;
  const chips = listGpioChips(opts.sysfsRoot);
  const chip = chips.find((c) => HEADER_CHIP_LABEL.test(c.label));
  if (!chip) {
    const seen = chips.map((c) => `${c.name}(${c.label})`).join(', ') || 'none';
    throw new Error(`no Raspberry Pi header GPIO chip in ${opts.sysfsRoot ?? '/sys/class/gpio'} (found: ${seen}); set power.gpioBase`);
  }
  if (bcm >= chip.ngpio) throw new Error(`GPIO${bcm} is beyond ${chip.name} (${chip.ngpio} lines)`);
  return chip.base + bcm;
}
