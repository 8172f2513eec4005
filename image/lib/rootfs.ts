// The Debian root file system: a cached base tarball from mmdebstrap, unpacked and then
// customised from the host (units, rules, users, fstab) without booting or chrooting, so the
// same steps work for the arm64 box and the amd64 CI build.
import { createHash } from 'node:crypto';
import { chmodSync, chownSync, copyFileSync, cpSync, existsSync, mkdirSync, readFileSync, readdirSync, renameSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { run } from './steps.js';

export type Arch = 'arm64' | 'amd64';

export interface BuildPaths {
  repo: string;
  out: string;
  cache: string;
  rootfs: string;
  tmp: string;
}

export function packages(repo: string, arch: Arch): string[] {
  const files = ['common.txt', ...(arch === 'arm64' ? ['arm64.txt'] : [])];
  return files
    .flatMap((f) => readFileSync(join(repo, 'image/packages', f), 'utf8').split('\n'))
    .map((l) => l.replace(/#.*/, '').trim())
    .filter(Boolean);
}

function mmdebstrapArgs(arch: Arch, suite: string, pkgs: string[], variant: string, extra: string[] = []): string[] {
  return [`--architectures=${arch}`, `--variant=${variant}`, '--components=main non-free-firmware', `--include=${pkgs.join(',')}`, ...extra, suite];
}

function key(args: string[]): string {
  return createHash('sha256').update(args.join('\0')).digest('hex').slice(0, 12);
}

/** A base root file system tarball, rebuilt only when the package list or suite changes. */
export async function baseTarball(p: BuildPaths, arch: Arch, suite: string): Promise<string> {
  // raspi-firmware's kernel hook fills /boot/firmware (kernel, initrd, dtbs, config.txt). The
  // initramfs hook goes in before the packages, so the initrd they build has the overlay module.
  const hook = join(p.repo, 'image/initramfs/opticserp-overlay');
  const hooks =
    arch === 'arm64'
      ? ['--setup-hook=mkdir -p "$1/etc/initramfs-tools/hooks"', `--setup-hook=copy-in ${hook} /etc/initramfs-tools/hooks/`]
      : [];
  const args = mmdebstrapArgs(arch, suite, packages(p.repo, arch), 'apt', hooks);
  const file = join(p.cache, `base-${arch}-${suite}-${key([...args, arch === 'arm64' ? readFileSync(hook, 'utf8') : ''])}.tar`);
  if (existsSync(file)) {
    process.stdout.write(`    cached: ${file}\n`);
    return file;
  }
  mkdirSync(p.cache, { recursive: true });
  await run('mmdebstrap', ['--format=tar', ...args, `${file}.partial`], { env: { ...process.env, TMPDIR: p.tmp } });
  renameSync(`${file}.partial`, file);
  return file;
}

/**
 * Node's headers for the target (Debian's libnode-dev of the same suite), unpacked without
 * running anything: native addons are compiled on the host against exactly the Node the
 * image runs, never under slow qemu emulation.
 */
export async function nodeHeaders(p: BuildPaths, arch: Arch, suite: string): Promise<string> {
  const args = mmdebstrapArgs(arch, suite, ['libnode-dev'], 'extract');
  const dir = join(p.cache, `headers-${arch}-${suite}-${key(args)}`);
  if (existsSync(join(dir, 'usr/include/node/node.h'))) return join(dir, 'usr');
  rmSync(dir, { recursive: true, force: true });
  mkdirSync(dir, { recursive: true });
  await run('mmdebstrap', [...args, dir], { env: { ...process.env, TMPDIR: p.tmp } });
  if (!existsSync(join(dir, 'usr/include/node/node.h'))) throw new Error(`no node.h in ${dir}`);
  return join(dir, 'usr');
}

export async function unpack(tarball: string, rootfs: string): Promise<void> {
  rmSync(rootfs, { recursive: true, force: true });
  mkdirSync(rootfs, { recursive: true });
  await run('tar', ['-C', rootfs, '--numeric-owner', '-xpf', tarball]);
}

function put(rootfs: string, rel: string, content: string, mode = 0o644): void {
  const f = join(rootfs, rel);
  mkdirSync(dirname(f), { recursive: true });
  writeFileSync(f, content);
  chmodSync(f, mode);
}

function link(rootfs: string, rel: string, target: string): void {
  const f = join(rootfs, rel);
  mkdirSync(dirname(f), { recursive: true });
  rmSync(f, { force: true });
  symlinkSync(target, f);
}

// No line for /: the kernel command line mounts root-a read-only and overlayroot puts a tmpfs
// overlay on top; an fstab entry for / makes systemd-remount-fs try to remount the overlay,
// which the kernel refuses (seen in the qemu boot).
export const FSTAB = `# OpticsERP box. Root (root-a) comes from the kernel command line: read-only, with a tmpfs
# overlay (overlayroot). The data partition holds everything that must survive a reboot and is
# checked at boot (pass 2).
LABEL=BOOT    /boot/firmware      vfat  rw,noatime,fmask=0077,dmask=0077,nofail         0 2
LABEL=data    /var/lib/opticserp  ext4  rw,noatime,nodev,nosuid,errors=remount-ro,commit=5  0 2
tmpfs         /tmp                tmpfs rw,nosuid,nodev,size=64M                        0 0
`;

/** Installs the appliance's systemd, udev and journald files and enables the units. */
export async function customise(p: BuildPaths, arch: Arch): Promise<void> {
  const r = p.rootfs;
  const sd = join(p.repo, 'systemd');
  for (const f of readdirSync(join(sd, 'system'))) cpSync(join(sd, 'system', f), join(r, 'etc/systemd/system', f), { recursive: true });
  cpSync(join(sd, 'journald.conf.d'), join(r, 'etc/systemd/journald.conf.d'), { recursive: true });
  cpSync(join(sd, 'tmpfiles.d/opticserp.conf'), join(r, 'etc/tmpfiles.d/opticserp.conf'));
  cpSync(join(sd, 'sysusers.d/opticserp.conf'), join(r, 'etc/sysusers.d/opticserp.conf'));
  copyFileSync(join(p.repo, 'hardware/udev/99-opticserp-gpio.rules'), join(r, 'etc/udev/rules.d/99-opticserp-gpio.rules'));
  link(r, 'etc/udev/rules.d/90-opticserp-kkt.rules', '/var/lib/opticserp/udev/90-opticserp-kkt.rules');
  link(r, 'etc/systemd/network/10-opticserp.network', '/var/lib/opticserp/network/10-opticserp.network');
  link(r, 'usr/local/bin/opticserp-console', '/opt/opticserp/systemd/bin/opticserp-console');
  put(r, 'etc/fstab', FSTAB);
  put(r, 'etc/hostname', 'opticserp-box\n');
  put(r, 'etc/hosts', '127.0.0.1\tlocalhost\n127.0.1.1\topticserp-box\n::1\tlocalhost ip6-localhost ip6-loopback\n');
  // An empty machine-id: systemd makes one at first boot (on the overlay), as on any image.
  put(r, 'etc/machine-id', '');
  mkdirSync(join(r, 'var/lib/opticserp'), { recursive: true });
  mkdirSync(join(r, 'boot/firmware'), { recursive: true });
  if (arch === 'arm64') {
    // recurse=0: only / gets the tmpfs overlay; the data partition stays a real, writable disk.
    put(r, 'etc/overlayroot.local.conf', 'overlayroot="tmpfs:recurse=0"\n');
  }
  await run('systemd-sysusers', [`--root=${r}`]);
  const enable = ['opticserp-box.service', 'opticserp-firstboot.service', 'opticserp-clock.service', 'opticserp-clock-save.timer', 'opticserp-udev-local.service', 'systemd-networkd.service', 'systemd-timesyncd.service', 'serial-getty@ttyGS0.service'];
  if (arch === 'arm64') enable.push('serial-getty@ttyAMA0.service');
  await run('systemctl', [`--root=${r}`, 'enable', ...enable]);
}

/** The data partition's first content: the layout tmpfiles.d would create, owned right. */
export function dataTree(p: BuildPaths, dir: string): void {
  rmSync(dir, { recursive: true, force: true });
  const ids = (file: string, name: string): number => {
    const line = readFileSync(join(p.rootfs, 'etc', file), 'utf8').split('\n').find((l) => l.startsWith(`${name}:`));
    if (!line) throw new Error(`${name} missing from the image's /etc/${file}`);
    return Number(line.split(':')[2]);
  };
  const uid = ids('passwd', 'opticserp');
  const gid = ids('group', 'opticserp');
  const dirs: [string, number, number, number][] = [
    ['', 0o755, 0, 0],
    ['config', 0o750, 0, gid],
    ['box', 0o750, uid, gid],
    ['network', 0o755, 0, 0],
    ['udev', 0o755, 0, 0],
    ['tech', 0o700, 0, 0],
  ];
  for (const [rel, mode, u, g] of dirs) {
    const d = join(dir, rel);
    mkdirSync(d, { recursive: true });
    chmodSync(d, mode);
    if (process.getuid?.() === 0) chownSync(d, u, g);
  }
  copyFileSync(join(p.repo, 'systemd/network/10-opticserp.network'), join(dir, 'network/10-opticserp.network'));
}
