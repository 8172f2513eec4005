// `npm run image`: builds the box's OS image. Needs root (unpacking a root file system keeps
// owners and device nodes) and Debian's mmdebstrap, genimage, dosfstools, mtools; for arm64 also
// qemu-user-static, binfmt-support and gcc-aarch64-linux-gnu/g++-aarch64-linux-gnu.
//   tsx image/build.ts [--arch arm64|amd64] [--out DIR] [--suite trixie] [--no-disk]
import { cpSync, existsSync, mkdirSync, readFileSync, statSync, writeFileSync, chmodSync } from 'node:fs';
import { cpus, arch as hostArch } from 'node:os';
import { join, resolve } from 'node:path';
import { parseArgs } from 'node:util';
import { checkAddons, dependencies, stageSources } from './lib/app.js';
import { buildDisk } from './lib/disk.js';
import { baseTarball, customise, dataTree, nodeHeaders, unpack, type Arch, type BuildPaths } from './lib/rootfs.js';
import { must, Progress, run } from './lib/steps.js';

const repo = resolve(import.meta.dirname, '..');
const { values } = parseArgs({
  options: {
    arch: { type: 'string', default: 'arm64' },
    out: { type: 'string' },
    suite: { type: 'string', default: 'trixie' },
    'no-disk': { type: 'boolean', default: false },
  },
});
const arch = values.arch as Arch;
if (arch !== 'arm64' && arch !== 'amd64') throw new Error(`--arch must be arm64 or amd64, not ${values.arch}`);
const suite = values.suite ?? 'trixie';
const out = resolve(values.out ?? join(repo, 'image/out', arch));
const paths: BuildPaths = {
  repo,
  out,
  cache: join(repo, 'image/out/cache'),
  rootfs: join(out, 'rootfs'),
  tmp: join(repo, 'image/out/tmp'),
};

// No 'ro' here: initramfs-tools mounts root read-only by default anyway, and overlayroot makes
// its overlay read-only too when it sees 'ro' (then nothing can write /var or /etc; seen in qemu).
const CMDLINE = 'console=serial0,115200 console=tty1 root=LABEL=root-a rootfstype=ext4 rootwait fsck.repair=yes overlayroot=tmpfs:recurse=0 modules-load=dwc2,g_serial\n';
// disable-bt gives the full PL011 UART (ttyAMA0) to the header pins: the box has no Bluetooth use.
const CONFIG_TXT_EXTRA = '\n# OpticsERP: USB gadget serial console (ttyGS0) and the UART console (ttyAMA0).\n[all]\ndtoverlay=dwc2\nenable_uart=1\ndtoverlay=disable-bt\ndtparam=uart0=on\n';

async function main(): Promise<void> {
  if (process.getuid?.() !== 0) throw new Error('run as root: the root file system keeps owners and device nodes');
  const foreign = (arch === 'arm64') !== (hostArch() === 'arm64');
  const p = new Progress(values['no-disk'] ? 8 : 9);
  // mmdebstrap and apt need a temporary folder anyone may write to (mode 1777).
  mkdirSync(paths.tmp, { recursive: true });
  chmodSync(paths.tmp, 0o1777);

  await p.step('check tools', async () => {
    must(['mmdebstrap', 'genimage', 'mkfs.vfat', 'mcopy', 'mke2fs', 'systemd-sysusers', 'systemctl', 'npm', 'tar'], 'apt-get install mmdebstrap genimage dosfstools mtools e2fsprogs systemd');
    if (foreign) {
      must(['qemu-aarch64-static', 'aarch64-linux-gnu-gcc', 'aarch64-linux-gnu-g++', 'update-binfmts'], 'apt-get install qemu-user-static binfmt-support gcc-aarch64-linux-gnu g++-aarch64-linux-gnu libc6-dev-arm64-cross arch-test');
      if (!existsSync('/proc/sys/fs/binfmt_misc/register')) await run('mount', ['-t', 'binfmt_misc', 'binfmt_misc', '/proc/sys/fs/binfmt_misc']);
      await run('update-binfmts', ['--enable', 'qemu-aarch64']);
    }
  });
  const tarball = await p.step(`base root file system (mmdebstrap ${suite} ${arch}, cached)`, () => baseTarball(paths, arch, suite));
  const headers = await p.step(`Node headers for ${arch} (libnode-dev, extracted)`, () => nodeHeaders(paths, arch, suite));
  await p.step('unpack the root file system', () => unpack(tarball, paths.rootfs));
  const appDir = join(paths.rootfs, 'opt/opticserp');
  const app = await p.step(`app and production dependencies (${foreign ? 'cross-compiled' : 'native'} addons)`, async () => {
    const staged = stageSources(repo, appDir);
    const from = await dependencies(appDir, arch, headers, paths.cache);
    const addons = checkAddons(appDir, arch);
    process.stdout.write(`    node_modules from ${from}; native addons for ${arch}: ${addons.join(', ')}\n`);
    return { ...staged, addons, dependenciesFrom: from };
  });
  await p.step('units, udev rules, users, fstab', () => customise(paths, arch));
  await p.step('boot partition files', () => {
    const boot = join(paths.rootfs, 'boot/firmware');
    mkdirSync(boot, { recursive: true });
    cpSync(join(repo, 'image/boot'), boot, { recursive: true });
    if (arch === 'arm64') {
      writeFileSync(join(boot, 'cmdline.txt'), CMDLINE);
      const cfg = join(boot, 'config.txt');
      const base = existsSync(cfg) ? readFileSync(cfg, 'utf8') : '';
      if (!base.includes('dtoverlay=dwc2')) writeFileSync(cfg, base + CONFIG_TXT_EXTRA);
      // The same settings where raspi-firmware's kernel hook looks, should it ever run again.
      writeFileSync(join(paths.rootfs, 'etc/default/raspi-firmware-custom'), CONFIG_TXT_EXTRA);
      writeFileSync(join(paths.rootfs, 'etc/default/raspi-extra-cmdline'), CMDLINE);
    }
  });
  await p.step('data partition layout', () => dataTree(paths, join(paths.rootfs, 'var/lib/opticserp')));
  let image: string | undefined;
  if (!values['no-disk']) image = await p.step('disk image (genimage)', () => buildDisk(paths.rootfs, out, paths.tmp, arch));

  const du = await run('du', ['-sm', paths.rootfs]);
  const summary = {
    arch,
    suite,
    seconds: Math.round(p.elapsedSeconds),
    steps: Object.fromEntries(Object.entries(p.timings).map(([k, v]) => [k, Math.round(v)])),
    rootfsMiB: Number(du.split('\t')[0]),
    image,
    imageMiB: image ? Math.round(statSync(image).size / 2 ** 20) : undefined,
    imageAllocatedMiB: image ? Math.round((statSync(image).blocks * 512) / 2 ** 20) : undefined,
    stubApp: app.stub,
    dependenciesFrom: app.dependenciesFrom,
    addons: app.addons,
    host: { cpu: cpus()[0]?.model, cores: cpus().length, node: process.version },
  };
  writeFileSync(join(out, 'build.json'), `${JSON.stringify(summary, null, 2)}\n`);
  process.stdout.write(`\nBuilt ${image ?? paths.rootfs}\n${JSON.stringify(summary)}\n`);
}

main().catch((err: unknown) => {
  process.stderr.write(`image build failed: ${(err as Error).message}\n`);
  process.exit(1);
});
