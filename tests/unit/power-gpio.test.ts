// GPIO numbering on current Pi kernels, the HAT pin maps, and the file-driven simulator.
import { afterEach, describe, expect, it } from 'vitest';
import { execFile } from 'node:child_process';
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { promisify } from 'node:util';
import { join } from 'node:path';
import { sysfsGpioNumber } from '../../firmware/power/gpio-chip.js';
import { loadPinMaps } from '../../firmware/power/pinmaps.js';
import { resolvePowerLine } from '../../firmware/power/power-setup.js';
import { FileMainsSimulator, writeMainsFile } from '../../firmware/power/simulated-gpio.js';
import { loadBoxConfig } from '../../firmware/config.js';
import { tempDir } from '../helpers/temp-dir.js';

let dirs: { remove(): void }[] = [];
afterEach(() => { dirs.forEach((d) => d.remove()); dirs = []; });

function fakeSysfs(chips: { name: string; base: number; ngpio: number; label: string }[]): string {
  const d = tempDir('sysfs-');
  dirs.push(d);
  for (const c of chips) {
    mkdirSync(join(d.path, c.name));
    writeFileSync(join(d.path, c.name, 'base'), `${c.base}\n`);
    writeFileSync(join(d.path, c.name, 'ngpio'), `${c.ngpio}\n`);
    writeFileSync(join(d.path, c.name, 'label'), `${c.label}\n`);
  }
  return d.path;
}

describe('sysfs GPIO numbering', () => {
  it('Pi 4 on kernel 6.6+: GPIO6 is 518 (base 512, pinctrl-bcm2711)', () => {
    const root = fakeSysfs([{ name: 'gpiochip512', base: 512, ngpio: 58, label: 'pinctrl-bcm2711' }, { name: 'gpiochip570', base: 570, ngpio: 8, label: 'raspberrypi-exp-gpio' }]);
    expect(sysfsGpioNumber(6, { sysfsRoot: root })).toBe(518);
  });

  it('Pi 5: GPIO6 is 577 (base 571, pinctrl-rp1), not the first chip', () => {
    const root = fakeSysfs([{ name: 'gpiochip512', base: 512, ngpio: 32, label: 'gpio-brcmstb@107d508500' }, { name: 'gpiochip571', base: 571, ngpio: 54, label: 'pinctrl-rp1' }]);
    expect(sysfsGpioNumber(6, { sysfsRoot: root })).toBe(577);
  });

  it('an unknown board names what it found; an explicit base wins', () => {
    const root = fakeSysfs([{ name: 'gpiochip0', base: 0, ngpio: 32, label: 'some-soc' }]);
    expect(() => sysfsGpioNumber(6, { sysfsRoot: root })).toThrow(/gpiochip0\(some-soc\).*power\.gpioBase/);
    expect(sysfsGpioNumber(6, { sysfsRoot: root, baseOverride: 0 })).toBe(6);
    expect(() => sysfsGpioNumber(6, { sysfsRoot: join(root, 'nope') })).toThrow(/found: none/);
  });
});

describe('UPS HAT pin maps', () => {
  const cfg = (power: Record<string, unknown>) => loadBoxConfig({ env: {}, overrides: { power, api: { posTokens: ['pin-map-test-token-123'] } } }).power;

  it('X728 is GPIO6 high-on-loss, X1200 GPIO6 low-on-loss; explicit values override', () => {
    expect(Object.keys(loadPinMaps())).toEqual(expect.arrayContaining(['x728', 'x1200']));
    expect(resolvePowerLine(cfg({ hat: 'x728' }))).toEqual({ pin: 6, lossLevel: 1 });
    expect(resolvePowerLine(cfg({ hat: 'x1200' }))).toEqual({ pin: 6, lossLevel: 0 });
    expect(resolvePowerLine(cfg({ hat: 'x1200', pin: 17, lossLevel: 'high' }))).toEqual({ pin: 17, lossLevel: 1 });
    expect(() => resolvePowerLine(cfg({ hat: 'nosuch' }))).toThrow(/not a pin map in hardware\/ups\//);
  });
});

describe('file-driven mains simulator (npm run mains)', () => {
  it('maps "off"/"on" to the HAT level and reports edges written by another writer', async () => {
    const d = tempDir('mains-');
    dirs.push(d);
    const file = join(d.path, 'mains');
    const sim = new FileMainsSimulator(file, 0, 20); // X1200: low on loss
    expect(sim.read()).toBe(1); // no file = mains on
    const edges: number[] = [];
    sim.watch((l) => edges.push(l));
    writeMainsFile(file, 'off');
    await expect.poll(() => edges, { timeout: 5000 }).toEqual([0]);
    writeMainsFile(file, 'on');
    await expect.poll(() => edges, { timeout: 5000 }).toEqual([0, 1]);
    sim.close();
  });

  it('npm run mains -- off|on writes the file; a bad word is a usage error', async () => {
    const d = tempDir('mains-cli-');
    dirs.push(d);
    const file = join(d.path, 'mains');
    const run = promisify(execFile);
    const cli = ['--import', 'tsx', 'scripts/mains.ts'];
    await run(process.execPath, [...cli, 'off', '--file', file]);
    expect(readFileSync(file, 'utf8').trim()).toBe('off');
    await run(process.execPath, [...cli, 'on', '--file', file]);
    expect(readFileSync(file, 'utf8').trim()).toBe('on');
    await expect(run(process.execPath, [...cli, 'maybe', '--file', file])).rejects.toMatchObject({ code: 64 });
  }, 30_000);
});
