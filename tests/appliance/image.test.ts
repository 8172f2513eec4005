// The image builder's pure parts (the full build is `npm run test:image`, see docs/image.md).
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync, existsSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { checkAddons, stageSources } from '../../image/lib/app.js';
import { genimageConfig, SIZES } from '../../image/lib/disk.js';
import { FSTAB, packages } from '../../image/lib/rootfs.js';
import { parseProvisioning } from '../../firmware/provisioning/schema.js';

const repo = join(import.meta.dirname, '../..');
let dir: string;
beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), 'image-'));
});
afterEach(() => rmSync(dir, { recursive: true, force: true }));

function elf(machine: number): Buffer {
  const b = Buffer.alloc(64);
  b.write('\x7fELF', 0, 'latin1');
  b.writeUInt16LE(machine, 18);
  return b;
}

describe('image builder', () => {
  it('the provisioning example on the boot partition is valid', () => {
    const p = parseProvisioning(readFileSync(join(repo, 'image/boot/opticserp-provision.example.json'), 'utf8'));
    expect(p.storeId).toBe('msk-017');
  });

  it('package lists: the box gets a kernel, Pi firmware and overlayroot; the CI rootfs does not', () => {
    const arm = packages(repo, 'arm64');
    const amd = packages(repo, 'amd64');
    expect(arm).toEqual(expect.arrayContaining(['nodejs', 'systemd-sysv', 'udev', 'linux-image-arm64', 'raspi-firmware', 'overlayroot']));
    expect(amd).toContain('nodejs');
    expect(amd).not.toContain('linux-image-arm64');
    expect(arm.every((x) => /^[a-z0-9][a-z0-9+.-]+$/.test(x))).toBe(true);
  });

  it('disk layout: MBR, 4 MiB aligned, boot / root A / reserved root B / data by mount point', () => {
    const cfg = genimageConfig(SIZES.arm64);
    expect(cfg).toMatch(/partition-table-type = "mbr"/);
    expect(cfg).toMatch(/align = 4M/);
    expect([...cfg.matchAll(/^ {2}partition (\S+) \{/gm)].map((m) => m[1])).toEqual(['boot', 'root-a', 'root-b', 'data']);
    expect(cfg).toMatch(/mountpoint = "\/boot\/firmware"/);
    expect(cfg).toMatch(/mountpoint = "\/var\/lib\/opticserp"/);
    expect(cfg).toMatch(/partition root-b \{\n {4}partition-type = 0x83\n {4}size = 2048M\n {2}\}/);
    expect(FSTAB).toMatch(/LABEL=data\s+\/var\/lib\/opticserp\s+ext4\s+\S+\s+0 2/);
    expect(FSTAB).not.toMatch(/^\S+\s+\/\s/m);
  });

  it('stages only runtime sources and stands in a stub for a missing firmware/main.ts', () => {
    const fake = join(dir, 'repo');
    for (const d of ['firmware', 'shared', 'tests', 'image/stub']) mkdirSync(join(fake, d), { recursive: true });
    writeFileSync(join(fake, 'package.json'), '{}');
    writeFileSync(join(fake, 'tests/x.test.ts'), '');
    writeFileSync(join(fake, 'image/stub/box-main.ts'), '// stub');
    const app = join(dir, 'app');
    const logged: string[] = [];
    expect(stageSources(fake, app, (l) => logged.push(l)).stub).toBe(true);
    expect(logged[0]).toMatch(/WARNING: firmware\/main\.ts is not in this checkout/);
    expect(readFileSync(join(app, 'firmware/main.ts'), 'utf8')).toBe('// stub');
    expect(existsSync(join(app, 'tests'))).toBe(false);
    writeFileSync(join(fake, 'firmware/main.ts'), '// real');
    expect(stageSources(fake, app, () => undefined).stub).toBe(false);
    expect(readFileSync(join(app, 'firmware/main.ts'), 'utf8')).toBe('// real');
  });

  it('refuses a native addon built for the wrong machine', () => {
    const nm = join(dir, 'node_modules/better-sqlite3/build/Release');
    mkdirSync(nm, { recursive: true });
    writeFileSync(join(nm, 'better_sqlite3.node'), elf(0xb7));
    expect(checkAddons(dir, 'arm64')).toEqual(['node_modules/better-sqlite3/build/Release/better_sqlite3.node']);
    expect(() => checkAddons(dir, 'amd64')).toThrow(/built for arm64, not amd64/);
  });
});
