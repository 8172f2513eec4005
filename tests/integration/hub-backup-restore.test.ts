// Hub backup and restore (RTO <= 1 h, RPO <= 24 h): an online backup taken while the hub
// (today: its ERP app on the hub database) keeps serving and writing; restored into a fresh
// hub, which serves the backed-up data and keeps taking writes. The CLI commands run too.
import { afterEach, describe, expect, it } from 'vitest';
import { execFile } from 'node:child_process';
import { existsSync, readdirSync, writeFileSync } from 'node:fs';
import { basename, join } from 'node:path';
import { promisify } from 'node:util';
import { backupDatabase, restoreDatabase, verifyBackup } from '../../hub/backup/sqlite-backup.js';
import { startStandaloneErp, type StandaloneErp } from '../../hub/erp/standalone.js';
import { silentLogger } from '../../shared/logger.js';
import { tempDir } from '../helpers/temp-dir.js';

const run = promisify(execFile);
let hubs: StandaloneErp[] = [];
let dirs: { remove(): void }[] = [];
afterEach(async () => {
  for (const h of hubs) await h.stop().catch(() => {});
  dirs.forEach((d) => d.remove());
  hubs = [];
  dirs = [];
});

const env = { ERP_ADMIN_USER: 'admin', ERP_ADMIN_PASSWORD: 'backup-test-password-1' };

async function login(hub: StandaloneErp): Promise<string> {
  const res = await fetch(`${hub.url}/api/v1/auth/login`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ username: env.ERP_ADMIN_USER, password: env.ERP_ADMIN_PASSWORD }) });
  expect(res.status).toBe(200);
  return ((await res.json()) as { token: string }).token;
}

async function addPatient(hub: StandaloneErp, token: string, last: string): Promise<number> {
  const res = await fetch(`${hub.url}/api/v1/patients`, {
    method: 'POST', headers: { 'content-type': 'application/json', authorization: `Bearer ${token}` },
    body: JSON.stringify({ last_name: last, first_name: 'Anna', consent_at: '2026-11-01' }),
  });
  expect(res.status).toBe(201);
  return ((await res.json()) as { id: number }).id;
}

async function patientNames(hub: StandaloneErp, token: string): Promise<string[]> {
  const res = await fetch(`${hub.url}/api/v1/patients?per_page=100`, { headers: { authorization: `Bearer ${token}` } });
  expect(res.status).toBe(200);
  return ((await res.json()) as { items: { last_name: string }[] }).items.map((p) => p.last_name).sort();
}

describe('hub backup and restore', () => {
  it('backs up online while writes go on, restores into a fresh hub that serves and keeps writing', async () => {
    const live = tempDir('hub-live-');
    const fresh = tempDir('hub-fresh-');
    const out = tempDir('hub-backups-');
    dirs.push(live, fresh, out);
    const hub = await startStandaloneErp({ dataDir: live.path, logger: silentLogger(), demo: false, env });
    hubs.push(hub);
    const token = await login(hub);
    for (let i = 0; i < 20; i++) await addPatient(hub, token, `Before${String(i).padStart(2, '0')}`);
    // Writes racing the backup: the snapshot is consistent, whichever side of it they land.
    const racing = Promise.all(Array.from({ length: 10 }, (_, i) => addPatient(hub, token, `During${i}`)));
    const manifest = await backupDatabase(join(live.path, 'hub.sqlite'), out.path);
    await racing;
    await addPatient(hub, token, 'AfterBackup'); // lost by a restore: that is the RPO
    expect(manifest.integrity).toBe('ok');
    expect(manifest.tables.erp_patients).toBeGreaterThanOrEqual(20);
    expect(existsSync(`${manifest.file}.json`)).toBe(true);
    // One self-contained file and its manifest: no -wal/-shm or .partial left beside them.
    expect(readdirSync(out.path).sort()).toEqual([basename(manifest.file), `${basename(manifest.file)}.json`]);

    const restored = await restoreDatabase(manifest.file, join(fresh.path, 'hub.sqlite'));
    expect(restored.movedAside).toBeNull();
    const hub2 = await startStandaloneErp({ dataDir: fresh.path, logger: silentLogger(), demo: false, env });
    hubs.push(hub2);
    const token2 = await login(hub2);
    const names = await patientNames(hub2, token2);
    expect(names.filter((n) => n.startsWith('Before'))).toHaveLength(20);
    expect(names).not.toContain('AfterBackup');
    expect(names.length).toBe(manifest.tables.erp_patients);
    await addPatient(hub2, token2, 'AfterRestore');
    expect(await patientNames(hub2, token2)).toContain('AfterRestore');
  });

  it('refuses a damaged backup and changes nothing; a restore over an existing database moves it aside', async () => {
    const d = tempDir('hub-restore-');
    dirs.push(d);
    const live = join(d.path, 'hub.sqlite');
    const hub = await startStandaloneErp({ dataDir: d.path, logger: silentLogger(), demo: false, env });
    await addPatient(hub, await login(hub), 'Kept');
    // Restoring under the running hub would move its file away while it keeps writing.
    const online = await backupDatabase(live, join(d.path, 'online'));
    await expect(restoreDatabase(online.file, live)).rejects.toThrow(new RegExp(`a hub \\(pid ${process.pid}\\) has .*hub\\.sqlite open: stop it first`));
    expect(existsSync(live)).toBe(true);
    await hub.stop();
    expect(existsSync(`${live}.pid`)).toBe(false);
    const m = await backupDatabase(live, join(d.path, 'backups'));
    const bad = join(d.path, 'not-a-backup.sqlite');
    writeFileSync(bad, 'garbage, not SQLite at all'.repeat(100));
    await expect(restoreDatabase(bad, live)).rejects.toThrow(/no manifest .*--without-manifest/);
    await expect(restoreDatabase(bad, live, { withoutManifest: true })).rejects.toThrow(/not a SQLite database|cannot be read/);
    expect(() => verifyBackup(join(d.path, 'missing.sqlite'))).toThrow(/no backup file/);
    writeFileSync(`${m.file}`, 'tampered', { flag: 'a' });
    await expect(restoreDatabase(m.file, live)).rejects.toThrow(/does not match its manifest/);
    expect(readdirSync(d.path).filter((f) => f.includes('before-restore'))).toEqual([]);

    const good = await backupDatabase(live, join(d.path, 'backups2'));
    const r = await restoreDatabase(good.file, live);
    expect(r.movedAside).toMatch(/hub\.sqlite\.before-restore-/);
    expect(existsSync(r.movedAside!)).toBe(true);
  });

  it('npm run hub:backup / hub:restore work as commands', async () => {
    const d = tempDir('hub-cli-');
    dirs.push(d);
    const hub = await startStandaloneErp({ dataDir: d.path, logger: silentLogger(), demo: false, env });
    hubs.push(hub);
    await addPatient(hub, await login(hub), 'Cli');
    const tsx = ['--import', 'tsx'];
    const b = await run(process.execPath, [...tsx, 'scripts/hub-backup.ts', '--out', join(d.path, 'bk')], { env: { ...process.env, ERP_DATA_DIR: d.path } });
    const manifest = JSON.parse(b.stdout.trim().split('\n').pop()!) as { file: string };
    const target = join(d.path, 'restored', 'hub.sqlite');
    const r = await run(process.execPath, [...tsx, 'scripts/hub-restore.ts', manifest.file, '--db', target]);
    expect(r.stdout).toMatch(/restored/);
    expect(verifyBackup(target).tables.erp_patients).toBe(1);
    await expect(run(process.execPath, [...tsx, 'scripts/hub-restore.ts'])).rejects.toMatchObject({ code: 64 });
  });
});
