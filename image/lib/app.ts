// The app in the image: the repo's runtime sources under /opt/opticserp, with production
// dependencies installed by npm on the host. Native addons are compiled on the host (cross
// for arm64) against the target's own Node headers, so nothing is compiled under qemu.
import { createHash } from 'node:crypto';
import { cpSync, existsSync, mkdirSync, openSync, readSync, closeSync, readdirSync, readFileSync, renameSync, rmSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { run } from './steps.js';
import type { Arch } from './rootfs.js';

/** What runs on the box; tests, the image builder and dev tooling stay out. */
const SOURCES = ['package.json', 'package-lock.json', 'tsconfig.json', 'firmware', 'shared', 'hardware', 'systemd', 'docs'];

export function stageSources(repo: string, appDir: string, log: (line: string) => void = (l) => process.stdout.write(`    ${l}\n`)): { stub: boolean } {
  rmSync(appDir, { recursive: true, force: true });
  mkdirSync(appDir, { recursive: true });
  for (const s of SOURCES) if (existsSync(join(repo, s))) cpSync(join(repo, s), join(appDir, s), { recursive: true });
  const stub = !existsSync(join(repo, 'firmware/main.ts'));
  if (stub) {
    log('WARNING: firmware/main.ts is not in this checkout; installing image/stub/box-main.ts in its place');
    cpSync(join(repo, 'image/stub/box-main.ts'), join(appDir, 'firmware/main.ts'));
  }
  return { stub };
}

const CROSS: Record<Arch, NodeJS.ProcessEnv> = {
  amd64: {},
  arm64: {
    npm_config_arch: 'arm64',
    npm_config_target_arch: 'arm64',
    CC: 'aarch64-linux-gnu-gcc',
    CXX: 'aarch64-linux-gnu-g++',
    LINK: 'aarch64-linux-gnu-g++',
    AR: 'aarch64-linux-gnu-ar',
  },
};

const CPU: Record<Arch, string> = { amd64: 'x64', arm64: 'arm64' };

export async function installDependencies(appDir: string, arch: Arch, nodeHeadersUsr: string): Promise<void> {
  const env = {
    ...process.env,
    ...CROSS[arch],
    npm_config_nodedir: nodeHeadersUsr,
    // Debian's Node uses the system libuv/openssl, whose headers sit beside include/node rather
    // than in it; -idirafter finds them there without shadowing the compiler's own libc headers.
    CPPFLAGS: `-idirafter ${nodeHeadersUsr}/include`,
    npm_config_update_notifier: 'false',
    npm_config_fund: 'false',
    npm_config_audit: 'false',
  };
  await run('npm', ['ci', '--omit=dev', `--cpu=${CPU[arch]}`, '--os=linux', '--no-progress'], { cwd: appDir, env, quiet: true });
  // Compiler leftovers are tens of MB the box never reads.
  const nm = join(appDir, 'node_modules');
  const mods = readdirSync(nm).flatMap((m) => (m.startsWith('@') && isDir(join(nm, m)) ? readdirSync(join(nm, m)).map((x) => `${m}/${x}`) : [m]));
  for (const mod of mods) {
    const build = join(nm, mod, 'build/Release');
    if (!isDir(build)) continue;
    for (const junk of ['obj.target', '.deps', 'obj']) rmSync(join(build, junk), { recursive: true, force: true });
  }
}

function isDir(p: string): boolean {
  try {
    return statSync(p).isDirectory();
  } catch {
    return false;
  }
}

/**
 * node_modules for this lock file, architecture and Node headers, from the cache or from npm
 * (then cached): a rebuild after a source-only change skips minutes of compiling.
 */
export async function dependencies(appDir: string, arch: Arch, nodeHeadersUsr: string, cacheDir: string): Promise<'cache' | 'npm'> {
  const h = createHash('sha256');
  for (const f of ['package.json', 'package-lock.json']) h.update(readFileSync(join(appDir, f)));
  h.update(`${arch}\0${nodeHeadersUsr}`);
  const tarball = join(cacheDir, `node_modules-${arch}-${h.digest('hex').slice(0, 12)}.tar`);
  if (existsSync(tarball)) {
    await run('tar', ['-C', appDir, '-xf', tarball]);
    return 'cache';
  }
  await installDependencies(appDir, arch, nodeHeadersUsr);
  await run('tar', ['-C', appDir, '-cf', `${tarball}.partial`, 'node_modules']);
  renameSync(`${tarball}.partial`, tarball);
  return 'npm';
}

const ELF_MACHINE: Record<number, Arch> = { 0x3e: 'amd64', 0xb7: 'arm64' };

/** Every .node addon under node_modules must be built for the target: a wrong one crashes at boot. */
export function checkAddons(appDir: string, arch: Arch): string[] {
  const found: string[] = [];
  const walk = (dir: string) => {
    for (const e of readdirSync(dir)) {
      const p = join(dir, e);
      if (isDir(p)) walk(p);
      else if (e.endsWith('.node') && !p.includes('/prebuilds/')) {
        const fd = openSync(p, 'r');
        const b = Buffer.alloc(20);
        readSync(fd, b, 0, 20, 0);
        closeSync(fd);
        const m = ELF_MACHINE[b.readUInt16LE(18)];
        if (m !== arch) throw new Error(`${p} is built for ${m ?? 'an unknown machine'}, not ${arch}`);
        found.push(p.slice(appDir.length + 1));
      }
    }
  };
  walk(join(appDir, 'node_modules'));
  return found;
}
