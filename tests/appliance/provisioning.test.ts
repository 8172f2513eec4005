// First-boot provisioning against real files in a temp "boot" and "data" partition.
import { loadBoxConfig } from '../../firmware/config.js';
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, readdirSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { applyBootFile, checkPin, networkFile, BOX_CONFIG, NETWORK_FILE, TECH_PIN_FILE, UDEV_FILE } from '../../firmware/provisioning/apply.js';
import { parseProvisioning, ProvisioningError } from '../../firmware/provisioning/schema.js';
import { GOOD } from './helpers/fixtures.js';


let root: string;
let boot: string;
let data: string;
beforeEach(() => {
  root = mkdtempSync(join(tmpdir(), 'prov-'));
  boot = join(root, 'boot');
  data = join(root, 'data');
  mkdirSync(boot);
  mkdirSync(data);
});
afterEach(() => rmSync(root, { recursive: true, force: true }));

function listAll(dir: string): string[] {
  return readdirSync(dir, { recursive: true, encoding: 'utf8' }).sort();
}

describe('provisioning schema', () => {
  it('reports every problem at once and names the keys', () => {
    const bad = { ...GOOD, storeId: 'a b', hub: { ...GOOD.hub, url: 'http://hub' }, apiToken: 'short', extra: 1 };
    try {
      parseProvisioning(JSON.stringify(bad));
      expect.unreachable();
    } catch (err) {
      expect(err).toBeInstanceOf(ProvisioningError);
      const text = (err as ProvisioningError).problems.join('\n');
      expect(text).toMatch(/storeId/);
      expect(text).toMatch(/hub\.url/);
      expect(text).toMatch(/apiToken/);
      expect(text).toMatch(/unknown key\(s\): extra/);
    }
  });

  it('refuses a printer serial that could inject udev keys', () => {
    expect(() => parseProvisioning(JSON.stringify({ ...GOOD, kkt: { ...GOOD.kkt, usbSerial: 'x", RUN+="/bin/sh' } }))).toThrow(/kkt\.usbSerial/);
  });

  it('defaults to DHCP and no UPS', () => {
    const { network: _n, ups: _u, ...rest } = GOOD;
    const p = parseProvisioning(JSON.stringify(rest));
    expect(p.network).toEqual({ mode: 'dhcp' });
    expect(p.ups).toBe('none');
    expect(networkFile(p.network)).toContain('DHCP=yes');
  });
});

describe('first boot: provisioning file on the boot partition', () => {
  it('applies a good file to the data partition and removes it from the boot partition', () => {
    const file = join(boot, 'opticserp-provision.json');
    writeFileSync(file, JSON.stringify(GOOD));
    const r = applyBootFile(file, { dataDir: data }, new Date('2026-11-25T10:00:00Z'));
    expect(r.applied).toBe(true);
    expect(existsSync(file)).toBe(false);
    expect(readdirSync(boot)).toEqual([]);
    const cfg = JSON.parse(readFileSync(join(data, BOX_CONFIG), 'utf8'));
    expect(cfg).toMatchObject({
      api: { posTokens: [GOOD.apiToken] }, printer: { enabled: true, path: '/dev/kkt' },
      uplink: { enabled: true, storeId: 'msk-017', boxId: 'box-017-a', url: GOOD.hub.url }, power: { gpio: 'onoff', hat: 'geekworm-x728' },
    });
    // The file is exactly what the box service accepts: its own config loader parses it.
    const loaded = loadBoxConfig({ file: join(data, BOX_CONFIG), env: {} });
    expect(loaded.uplink.boxId).toBe('box-017-a');
    expect(loaded.nodeId).toBe('box_017_a');
    expect(statSync(join(data, BOX_CONFIG)).mode & 0o777).toBe(0o640);
    expect(readFileSync(join(data, NETWORK_FILE), 'utf8')).toMatch(/Address=10\.17\.0\.5\/24\nGateway=10\.17\.0\.1\nDNS=10\.17\.0\.1/);
    expect(readFileSync(join(data, UDEV_FILE), 'utf8')).toMatch(/ATTRS\{idVendor\}=="1fc9", ATTRS\{idProduct\}=="0083", ATTRS\{serial\}=="SN0012345", SYMLINK\+="kkt"/);
    const pin = readFileSync(join(data, TECH_PIN_FILE), 'utf8');
    expect(pin).not.toContain('4821');
    expect(checkPin('4821', pin)).toBe(true);
    expect(checkPin('4822', pin)).toBe(false);
  });

  it('files get their exact modes even under the first-boot unit\'s UMask=0077', () => {
    const file = join(boot, 'opticserp-provision.json');
    writeFileSync(file, JSON.stringify(GOOD));
    const old = process.umask(0o077);
    try {
      expect(applyBootFile(file, { dataDir: data }).applied).toBe(true);
    } finally {
      process.umask(old);
    }
    expect(statSync(join(data, BOX_CONFIG)).mode & 0o777).toBe(0o640);
    expect(statSync(join(data, NETWORK_FILE)).mode & 0o777).toBe(0o644);
    expect(statSync(join(data, UDEV_FILE)).mode & 0o777).toBe(0o644);
    expect(statSync(join(data, TECH_PIN_FILE)).mode & 0o777).toBe(0o600);
  });

  it('a bad file changes nothing on the data partition, stays on boot and gets an error note', () => {
    const file = join(boot, 'opticserp-provision.json');
    writeFileSync(file, JSON.stringify({ ...GOOD, boxId: '' }));
    const r = applyBootFile(file, { dataDir: data });
    expect(r.applied).toBe(false);
    expect(listAll(data)).toEqual([]);
    expect(existsSync(file)).toBe(true);
    expect(readFileSync(join(boot, 'opticserp-provision.error.txt'), 'utf8')).toMatch(/boxId/);
  });

  it('garbage bytes are rejected as not JSON', () => {
    const file = join(boot, 'opticserp-provision.json');
    writeFileSync(file, Buffer.from([0xff, 0x00, 0x7b, 0x13]));
    expect(applyBootFile(file, { dataDir: data }).problems?.[0]).toMatch(/not valid JSON/);
    expect(listAll(data)).toEqual([]);
  });

  it('the CLI the first-boot unit runs applies the file and exits 0, or exits 1 on bad input', () => {
    const file = join(boot, 'opticserp-provision.json');
    const cli = join(import.meta.dirname, '../../firmware/provisioning/cli.ts');
    writeFileSync(file, '{"storeId": 1}');
    const bad = spawnSync(process.execPath, ['--import', 'tsx', cli, 'apply-boot-file', file, '--data-dir', data], { encoding: 'utf8' });
    expect(bad.status).toBe(1);
    expect(bad.stdout).toMatch(/rejected/);
    writeFileSync(file, JSON.stringify(GOOD));
    const ok = spawnSync(process.execPath, ['--import', 'tsx', cli, 'apply-boot-file', file, '--data-dir', data], { encoding: 'utf8' });
    expect(ok.status, ok.stderr).toBe(0);
    expect(existsSync(file)).toBe(false);
    expect(existsSync(join(data, BOX_CONFIG))).toBe(true);
  });
});
