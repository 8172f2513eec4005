// `npm run test:image`: the CI check of the appliance image, on the host's own architecture.
// Builds the root file system and disk image (amd64 here), then:
//  1. in a chroot, in private network and mount namespaces, starts the app exactly as the box
//     unit does (its User, Environment and ExecStart are read from the unit) and asks /health;
//     also loads the native addons with the image's own Node;
//  2. checks the disk image from the outside: partition table (sfdisk -J), the file systems
//     (dumpe2fs, e2fsck -n, debugfs on the extracted partitions, mdir on the FAT at its offset).
// Prints machine facts and ends with one JSON line of timings. Exits non-zero on any failure.
import { execFileSync, spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync, mkdirSync, chownSync } from 'node:fs';
import { cpus, totalmem, arch as hostArch } from 'node:os';
import { join, resolve } from 'node:path';
import { IMAGE_NAME, DISK_SIGNATURE, SIZES } from './lib/disk.js';
import { run } from './lib/steps.js';
import { boxConfig } from '../firmware/provisioning/apply.js';
import { validateProvisioning } from '../firmware/provisioning/schema.js';

const repo = resolve(import.meta.dirname, '..');
const arch = hostArch() === 'arm64' ? 'arm64' : 'amd64';
const outBase = process.env.IMAGE_TEST_DIR ?? join(repo, 'image/out');
// A clean clone has no image/out (it is ignored by git).
mkdirSync(outBase, { recursive: true });
const out = mkdtempSync(join(outBase, 'ci-'));
const rootfs = join(out, 'rootfs');
const timings: Record<string, number> = {};
let passed = 0;
let failed = 0;

function check(name: string, ok: boolean, detail = ''): void {
  if (ok) passed++;
  else failed++;
  process.stdout.write(`  ${ok ? 'ok  ' : 'FAIL'} ${name}${ok || !detail ? '' : `\n       ${detail}`}\n`);
}

async function timed<T>(name: string, fn: () => Promise<T> | T): Promise<T> {
  const t0 = Date.now();
  try {
    return await fn();
  } finally {
    timings[name] = Math.round((Date.now() - t0) / 100) / 10;
  }
}

/** User, Environment, WorkingDirectory and ExecStart of the box unit. */
function unitRun(): { user: string; env: string[]; cwd: string; exec: string } {
  const text = readFileSync(join(repo, 'systemd/system/opticserp-box.service'), 'utf8');
  const val = (k: string) => [...text.matchAll(new RegExp(`^${k}=(.*)$`, 'gm'))].map((m) => m[1] ?? '');
  return { user: val('User')[0] ?? 'root', env: val('Environment'), cwd: val('WorkingDirectory')[0] ?? '/', exec: val('ExecStart')[0] ?? '' };
}

function inChroot(script: string, timeoutMs = 120_000): { status: number | null; out: string } {
  // Private mount and network namespaces: /proc and /dev mounts vanish with the namespace,
  // and port 8000 inside cannot clash with anything on the host or another test run.
  const wrapper = `set -e
mount -t proc proc ${rootfs}/proc
mount --rbind /dev ${rootfs}/dev
chroot ${rootfs} ip link set lo up
${script}`;
  const r = spawnSync('unshare', ['--net', '--mount', '--pid', '--fork', 'sh', '-c', wrapper], { encoding: 'utf8', timeout: timeoutMs });
  return { status: r.status, out: `${r.stdout}${r.stderr}` };
}

async function main(): Promise<void> {
  process.stdout.write(`machine: ${cpus()[0]?.model} x${cpus().length}, ${Math.round(totalmem() / 2 ** 30)} GiB, node ${process.version}, ${arch}\n`);
  process.stdout.write(execFileSync('df', ['-h', out], { encoding: 'utf8' }));
  await timed('build', () => run(process.execPath, ['--import', 'tsx', join(repo, 'image/build.ts'), '--arch', arch, '--out', out]));
  const img = join(out, IMAGE_NAME);

  process.stdout.write('\nchroot: the app as the unit starts it\n');
  await timed('chroot', () => {
    const u = unitRun();
    const cfgDir = join(rootfs, 'var/lib/opticserp/config');
    mkdirSync(cfgDir, { recursive: true });
    // The config first-boot provisioning writes; no printer or hub exists in the chroot, so
    // those two parts are switched off through the environment the way an operator would.
    const provisioned = boxConfig(validateProvisioning({
      storeId: 'ci', boxId: 'ci-box', hub: { url: 'mqtt://127.0.0.1:1883', username: 'ci-box', password: 'ci-secret-0123' },
      apiToken: 'ci-token-0123456789',
    }), new Date());
    writeFileSync(join(cfgDir, 'box.json'), JSON.stringify(provisioned));
    u.env.push('BOX_PRINTER__ENABLED=false', 'BOX_UPLINK__ENABLED=false');
    const passwd = readFileSync(join(rootfs, 'etc/passwd'), 'utf8').split('\n').find((l) => l.startsWith(`${u.user}:`));
    check(`service user ${u.user} exists in the image`, Boolean(passwd));
    const groups = readFileSync(join(rootfs, 'etc/group'), 'utf8');
    check(`${u.user} is in dialout and gpio`, /^dialout:[^\n]*opticserp/m.test(groups) && /^gpio:[^\n]*opticserp/m.test(groups));
    const [, uid, gid] = (passwd ?? '::0:0').split(':').map(Number) as [number, number, number];
    chownSync(join(cfgDir, 'box.json'), 0, gid ?? 0);
    void uid;
    const env = u.env.map((e) => `export ${e}`).join('\n');
    const r = inChroot(`chroot --userspec=${u.user}:${u.user} --groups=dialout,gpio ${rootfs} /bin/sh -c '
${env}
cd ${u.cwd}
node -e "const D=require(\\"better-sqlite3\\"); console.log(\\"sqlite\\", new D(\\":memory:\\").prepare(\\"select sqlite_version() v\\").get().v)"
node -e "require(\\"@serialport/bindings-cpp\\"); console.log(\\"serialport bindings ok\\")"
${u.exec} > /tmp/app.log 2>&1 &
for i in $(seq 1 60); do
  if node -e "fetch(\\"http://127.0.0.1:8000/health\\").then(r=>r.text()).then(t=>{console.log(\\"HEALTH\\",t);process.exit(0)}).catch(()=>process.exit(1))"; then ok=1; break; fi
  sleep 0.5
done
kill %1 2>/dev/null || true
cat /tmp/app.log | tail -5
[ "$ok" = 1 ]
'`);
    process.stdout.write(r.out.split('\n').map((l) => `    ${l}`).join('\n') + '\n');
    check('native addon better-sqlite3 loads with the image Node', /sqlite \d+\.\d+/.test(r.out), r.out);
    check('serialport bindings load', r.out.includes('serialport bindings ok'), r.out);
    check('the app answers GET /health on 127.0.0.1:8000 as the service user', r.status === 0 && /HEALTH \{.*"status":"ok"/.test(r.out), r.out);
  });

  process.stdout.write('\ndisk image from the outside\n');
  await timed('disk', () => {
    const pt = JSON.parse(execFileSync('sfdisk', ['-J', img], { encoding: 'utf8' })) as {
      partitiontable: { label: string; id: string; unit: string; partitions: { start: number; size: number; type: string; bootable?: boolean }[] };
    };
    const parts = pt.partitiontable.partitions;
    check('MBR with 4 partitions (boot, root A, root B reserved, data)', pt.partitiontable.label === 'dos' && parts.length === 4, JSON.stringify(pt));
    check('disk signature', pt.partitiontable.id === DISK_SIGNATURE, pt.partitiontable.id);
    check('partition types c, 83, 83, 83 and p1 bootable', parts.map((p) => p.type).join(',') === 'c,83,83,83' && parts[0]?.bootable === true, JSON.stringify(parts));
    check('every partition starts on a 4 MiB boundary', parts.every((p) => (p.start * 512) % (4 * 2 ** 20) === 0), JSON.stringify(parts.map((p) => p.start)));
    const s = SIZES[arch];
    check('root B is as large as root A', parts[1]?.size === parts[2]?.size && (parts[1]?.size ?? 0) * 512 === s.rootMiB * 2 ** 20);
    const extract = (i: number, name: string) => {
      const p = parts[i];
      if (!p) throw new Error(`no partition ${i + 1}`);
      const f = join(out, `p${i + 1}-${name}.img`);
      execFileSync('dd', [`if=${img}`, `of=${f}`, 'bs=512', `skip=${p.start}`, `count=${p.size}`, 'conv=sparse', 'status=none']);
      return f;
    };
    const root = extract(1, 'root');
    const data = extract(3, 'data');
    const head = (f: string) => execFileSync('dumpe2fs', ['-h', f], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'] });
    check('root A is ext4 labelled root-a, clean', /Filesystem volume name:\s+root-a/.test(head(root)) && /Filesystem state:\s+clean/.test(head(root)));
    check('data is ext4 labelled data, clean', /Filesystem volume name:\s+data/.test(head(data)) && /Filesystem state:\s+clean/.test(head(data)));
    for (const [n, f] of [['root A', root], ['data', data]] as const) {
      const r = spawnSync('e2fsck', ['-fn', f], { encoding: 'utf8' });
      check(`e2fsck -fn finds no errors on ${n}`, r.status === 0, r.stdout + r.stderr);
    }
    const debugfs = (f: string, cmd: string) => spawnSync('debugfs', ['-R', cmd, f], { encoding: 'utf8' }).stdout;
    check('root A holds the app and the box unit', /main\.ts/.test(debugfs(root, 'ls /opt/opticserp/firmware')) && /opticserp-box\.service/.test(debugfs(root, 'ls /etc/systemd/system')));
    check('the box unit is enabled', /opticserp-box\.service/.test(debugfs(root, 'ls /etc/systemd/system/multi-user.target.wants')));
    check('fstab mounts the data partition with fsck pass 2', /LABEL=data\s+\/var\/lib\/opticserp\s+ext4\s+\S+\s+0 2/.test(debugfs(root, 'cat /etc/fstab')));
    check('root A leaves the data mount point empty', debugfs(root, 'ls /var/lib/opticserp').replace(/\s+/g, ' ').trim().split(' ').filter((x) => !/^\d+$/.test(x) && !/^\(\d+\)$/.test(x) && x !== '.' && x !== '..').length === 0, debugfs(root, 'ls /var/lib/opticserp'));
    const dataLs = debugfs(data, 'ls /');
    check('data holds the layout (config, box, network, udev, tech)', ['config', 'box', 'network', 'udev', 'tech'].every((d) => dataLs.includes(d)), dataLs);
    const bootOffset = (parts[0]?.start ?? 0) * 512;
    const mdir = spawnSync('mdir', ['-i', `${img}@@${bootOffset}`, '::/'], { encoding: 'utf8' });
    check('boot FAT (label BOOT) holds the provisioning example', mdir.status === 0 && /BOOT/.test(mdir.stdout) && /opticserp-provision\.example|OPTICS~1/i.test(mdir.stdout), mdir.stdout + mdir.stderr);
  });

  const summary = { arch, passed, failed, seconds: timings, imageMiB: Math.round(Number(execFileSync('stat', ['-c', '%s', img], { encoding: 'utf8' })) / 2 ** 20) };
  process.stdout.write(`\n${passed} passed, ${failed} failed\n${JSON.stringify(summary)}\n`);
  if (!process.env.KEEP_IMAGE_TEST) rmSync(out, { recursive: true, force: true });
  process.exit(failed ? 1 : 0);
}

main().catch((err: unknown) => {
  process.stderr.write(`image test failed: ${(err as Error).stack ?? String(err)}\n`);
  if (!process.env.KEEP_IMAGE_TEST) rmSync(out, { recursive: true, force: true });
  process.exit(1);
});
