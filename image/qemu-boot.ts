// `npm run image:boot-test`: boots the arm64 image in qemu-system-aarch64 (virt machine,
// software emulation, no network device) and drives the field-tech console on the serial port:
// waits for the menu, asks for the status until the box service answers /health, then exits.
// A provisioning file is put on a copy of the image's boot partition first, so this exercises
// first boot, the hardened unit and the console together. Needs qemu-system-arm and mtools.
//   tsx image/qemu-boot.ts [--image image/out/arm64/opticserp-box.img] [--timeout 1500] [--append 'kernel args']
import { spawn, execFileSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { connect } from 'node:net';
import { cpus } from 'node:os';
import { join, resolve } from 'node:path';
import { parseArgs } from 'node:util';

const repo = resolve(import.meta.dirname, '..');
const { values } = parseArgs({ options: { image: { type: 'string' }, timeout: { type: 'string', default: '1500' }, append: { type: 'string', default: '' } } });
const out = join(repo, 'image/out/arm64');
const image = resolve(values.image ?? join(out, 'opticserp-box.img'));
mkdirSync(join(repo, 'image/out/tmp'), { recursive: true }); // absent in a clean clone
const work = mkdtempSync(join(repo, 'image/out/tmp/qemu-'));
const deadline = Date.now() + Number(values.timeout) * 1000;

const disk = join(work, 'boot-test.img');
execFileSync('cp', ['--sparse=always', image, disk]);
const boot = join(out, 'rootfs/boot');
const kernel = join(boot, readdirSync(boot).find((f) => f.startsWith('vmlinuz-')) ?? 'vmlinuz');
const initrd = join(boot, readdirSync(boot).find((f) => f.startsWith('initrd.img-')) ?? 'initrd.img');
const pt = JSON.parse(execFileSync('sfdisk', ['-J', disk], { encoding: 'utf8' })) as { partitiontable: { partitions: { start: number }[] } };
const provision = join(work, 'opticserp-provision.json');
writeFileSync(provision, JSON.stringify({ storeId: 'qemu-store', boxId: 'qemu-box', hub: { url: 'mqtt://127.0.0.1:1883', username: 'qemu-box', password: 'qemu-password' }, apiToken: 'qemu-token-0123456789' }));
execFileSync('mcopy', ['-i', `${disk}@@${(pt.partitiontable.partitions[0]?.start ?? 0) * 512}`, provision, '::/opticserp-provision.json']);

const sock = join(work, 'serial.sock');
const t0 = Date.now();
const qemu = spawn('qemu-system-aarch64', [
  '-M', 'virt', '-cpu', 'cortex-a72', '-smp', '2', '-m', '1536', '-display', 'none', '-monitor', 'none', '-nic', 'none',
  '-kernel', kernel, '-initrd', initrd,
  '-append', `console=ttyAMA0 root=LABEL=root-a rootfstype=ext4 rootwait fsck.repair=yes overlayroot=tmpfs:recurse=0 ${values.append}`.trim(),
  '-drive', `file=${disk},if=virtio,format=raw`,
  '-chardev', `socket,id=s0,path=${sock},server=on,wait=off`, '-serial', 'chardev:s0',
], { stdio: 'inherit' });

function finish(ok: boolean, facts: Record<string, unknown>): never {
  qemu.kill();
  rmSync(work, { recursive: true, force: true });
  process.stdout.write(`\n${ok ? 1 : 0} passed, ${ok ? 0 : 1} failed\n${JSON.stringify({ ok, cpu: cpus()[0]?.model, cores: cpus().length, ...facts })}\n`);
  process.exit(ok ? 0 : 1);
}

async function main(): Promise<void> {
  let screen = '';
  const s = await new Promise<ReturnType<typeof connect>>((res) => {
    const attempt = () => {
      const c = connect(sock);
      c.once('connect', () => res(c));
      c.once('error', () => setTimeout(attempt, 500));
    };
    attempt();
  });
  s.on('data', (d: Buffer) => {
    screen += d.toString();
    // eslint-disable-next-line no-control-regex
    process.stdout.write(d.toString().replace(/\x1b\[[0-9;]*[A-Za-z]/g, ''));
  });
  const waitFor = async (re: RegExp, from: number): Promise<number> => {
    while (Date.now() < deadline) {
      const m = re.exec(screen.slice(from));
      if (m) return from + m.index + m[0].length;
      await new Promise((r) => setTimeout(r, 500));
    }
    finish(false, { reason: `timed out waiting for ${re}`, seconds: Math.round((Date.now() - t0) / 1000) });
  };
  let at = await waitFor(/Choice: /, 0);
  const menuSeconds = Math.round((Date.now() - t0) / 1000);
  for (;;) {
    s.write('1\r');
    const end = await waitFor(/Choice: /, at);
    const status = screen.slice(at, end);
    at = end;
    if (/Service\s+ok \(HTTP 200\)/.test(status)) {
      s.write('0\r');
      finish(/store qemu-store/.test(status), { menuSeconds, healthySeconds: Math.round((Date.now() - t0) / 1000), provisioned: /store qemu-store/.test(status) });
    }
    await new Promise((r) => setTimeout(r, 10_000));
  }
}

void main();
