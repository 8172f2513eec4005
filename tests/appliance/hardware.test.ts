// UPS pin maps (JSON the power module loads) and the printer's udev rule.
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { isPowerLost, listPinMaps, loadPinMap } from '../../hardware/ups/pinmap.js';
import { kktRule } from '../../hardware/udev/kktRule.js';

describe('UPS HAT pin maps', () => {
  it('ships the X728 (GPIO6, active high) and X1200 (GPIO6, active low)', () => {
    expect(listPinMaps()).toEqual(expect.arrayContaining(['geekworm-x728', 'geekworm-x1200']));
    const x728 = loadPinMap('geekworm-x728');
    const x1200 = loadPinMap('geekworm-x1200');
    expect(x728.powerLoss).toMatchObject({ gpio: 6, activeLow: false });
    expect(x1200.powerLoss).toMatchObject({ gpio: 6, activeLow: true });
    expect(isPowerLost(x728, 1)).toBe(true);
    expect(isPowerLost(x728, 0)).toBe(false);
    expect(isPowerLost(x1200, 0)).toBe(true);
    expect(isPowerLost(x1200, 1)).toBe(false);
  });

  it('every shipped map is valid and the JSON schema lists the same keys as the zod schema', () => {
    for (const id of listPinMaps()) expect(loadPinMap(id).id).toBe(id);
    const schema = JSON.parse(readFileSync(join(import.meta.dirname, '../../hardware/ups/pinmap.schema.json'), 'utf8'));
    expect(Object.keys(schema.properties).sort()).toEqual(['$schema', 'boards', 'fuelGauge', 'gpioNumbering', 'id', 'name', 'notes', 'powerLoss']);
  });

  it('a broken map is refused with the bad key named', () => {
    const dir = mkdtempSync(join(tmpdir(), 'ups-'));
    writeFileSync(join(dir, 'bad-hat.json'), JSON.stringify({ id: 'bad-hat', name: 'x', boards: ['p'], gpioNumbering: 'bcm', powerLoss: { gpio: 40, activeLow: 'yes' } }));
    expect(() => loadPinMap('bad-hat', dir)).toThrow(/powerLoss\.gpio.*powerLoss\.activeLow|powerLoss\.activeLow.*powerLoss\.gpio/);
    expect(() => loadPinMap('../etc/passwd', dir)).toThrow(/bad UPS pin map id/);
    rmSync(dir, { recursive: true, force: true });
  });
});

describe('udev', () => {
  it('the printer rule names /dev/kkt by vendor, product and serial, for the dialout group', () => {
    const rule = kktRule({ usbVendorId: '0403', usbProductId: '6001', usbSerial: 'A10K3' });
    expect(rule).toContain('SUBSYSTEM=="tty", ATTRS{idVendor}=="0403", ATTRS{idProduct}=="6001", ATTRS{serial}=="A10K3", SYMLINK+="kkt", GROUP="dialout"');
    expect(rule).toContain('ENV{ID_MM_DEVICE_IGNORE}="1"');
    // Only this printer's FTDI adapter gets the 1 ms latency timer.
    expect(rule).toContain('ACTION=="add", SUBSYSTEM=="usb-serial", DRIVER=="ftdi_sio", ATTRS{idVendor}=="0403", ATTRS{idProduct}=="6001", ATTRS{serial}=="A10K3", ATTR{latency_timer}="1"');
    expect(kktRule({ usbVendorId: '0403', usbProductId: '6001' })).not.toContain('ATTRS{serial}');
    expect(() => kktRule({ usbVendorId: '0403', usbProductId: '6001', usbSerial: 'a"b' })).toThrow();
  });

  it('the gpio rule gives gpiochip devices to the gpio group', () => {
    const text = readFileSync(join(import.meta.dirname, '../../hardware/udev/99-opticserp-gpio.rules'), 'utf8');
    expect(text).toMatch(/SUBSYSTEM=="gpio", KERNEL=="gpiochip\*", GROUP="gpio", MODE="0660"/);
  });
});
