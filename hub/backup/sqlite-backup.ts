// Online backup and restore of the hub database (seed: RTO <= 1 h, RPO <= 24 h). The backup
// uses SQLite's online backup API (better-sqlite3 db.backup), which copies a consistent
// snapshot while the hub keeps writing; a plain `cp` of a WAL database is not consistent.
// Restore never deletes: the current file (with its WAL/SHM) is moved aside first.
import { createHash } from 'node:crypto';
import { createReadStream, existsSync, mkdirSync, readFileSync, renameSync, statSync, writeFileSync } from 'node:fs';
import { basename, dirname, join } from 'node:path';
import Database from 'better-sqlite3';
import { integrityCheck, openDatabase } from '../../shared/db.js';
import { runningOwner } from '../db/owner-file.js';

export interface BackupManifest {
  file: string;
  source: string;
  taken_at: string;
  bytes: number;
  sha256: string;
  integrity: 'ok';
  /** Component -> schema version in the backup (a restore into older code is refused by migrate). */
  schema: Record<string, number>;
  tables: Record<string, number>;
}

async function sha256(file: string): Promise<string> {
  const h = createHash('sha256');
  for await (const chunk of createReadStream(file)) h.update(chunk as Buffer);
  return h.digest('hex');
}

/** Opens a backup read-only and checks it; throws naming the problem. */
export function verifyBackup(file: string): { schema: Record<string, number>; tables: Record<string, number> } {
  if (!existsSync(file)) throw new Error(`no backup file ${file}`);
  let db: Database.Database;
  try {
    db = new Database(file, { readonly: true, fileMustExist: true });
  } catch (err) {
    throw new Error(`${file} is not a SQLite database: ${(err as Error).message}`);
  }
  try {
    const check = integrityCheck(db);
    if (!check.ok) throw new Error(`${file} failed its integrity check: ${check.problems.slice(0, 5).join('; ')}`);
    const schema: Record<string, number> = {};
    const hasMigrations = db.prepare("SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = 'schema_migrations'").get();
    if (hasMigrations) {
      for (const r of db.prepare('SELECT component, MAX(version) AS v FROM schema_migrations GROUP BY component').all() as { component: string; v: number }[]) schema[r.component] = r.v;
    }
    const tables: Record<string, number> = {};
    for (const { name } of db.prepare("SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%' ORDER BY name").all() as { name: string }[]) {
      tables[name] = (db.prepare(`SELECT COUNT(*) AS n FROM "${name.replace(/"/g, '""')}"`).get() as { n: number }).n;
    }
    return { schema, tables };
  } catch (err) {
    if ((err as { code?: string }).code?.startsWith('SQLITE_')) throw new Error(`${file} cannot be read: ${(err as Error).message}`);
    throw err;
  } finally {
    db.close();
  }
}

/**
 * Copies `source` (the live hub database) to `<outDir>/<name>-<time>.sqlite` online, checks
 * the copy, and writes a manifest beside it. The copy appears under its final name only
 * when complete (written to .partial, then renamed).
 */
export async function backupDatabase(source: string, outDir: string, now = new Date()): Promise<BackupManifest> {
  if (!existsSync(source)) throw new Error(`no database at ${source}`);
  mkdirSync(outDir, { recursive: true });
  const stem = basename(source).replace(/\.(sqlite|db)$/, '');
  const file = join(outDir, `${stem}-${now.toISOString().replace(/[:.]/g, '-')}.sqlite`);
  const partial = `${file}.partial`;
  const db = openDatabase(source);
  try {
    await db.backup(partial);
  } finally {
    db.close();
  }
  // The copy keeps the source's WAL mode, so every later open (this check, a restore) would
  // leave -wal/-shm files beside it: a backup is one self-contained file instead.
  const copy = new Database(partial);
  try {
    copy.pragma('journal_mode = DELETE');
  } finally {
    copy.close();
  }
  const { schema, tables } = verifyBackup(partial);
  renameSync(partial, file);
  const manifest: BackupManifest = {
    file, source, taken_at: now.toISOString(), bytes: statSync(file).size, sha256: await sha256(file), integrity: 'ok', schema, tables,
  };
  writeFileSync(`${file}.json`, `${JSON.stringify(manifest, null, 2)}\n`);
  return manifest;
}

export interface RestoreResult { target: string; from: string; movedAside: string | null; schema: Record<string, number>; tables: Record<string, number> }

/**
 * Restores `backup` to `target` with the hub STOPPED. A checked backup only; the current
 * target (and its WAL/SHM, which belong to it) is renamed aside, never deleted.
 */
export async function restoreDatabase(backup: string, target: string, opts: { now?: Date; withoutManifest?: boolean } = {}): Promise<RestoreResult> {
  const now = opts.now ?? new Date();
  const owner = runningOwner(target);
  if (owner !== null) {
    throw new Error(`a hub (pid ${owner}) has ${target} open: stop it first (systemctl stop opticserp-hub); if no hub runs, delete ${target}.pid`);
  }
  const manifestFile = `${backup}.json`;
  if (!existsSync(manifestFile) && !opts.withoutManifest) {
    // Without its manifest a changed file cannot be told from the one that was taken.
    throw new Error(`no manifest ${manifestFile} beside the backup, so its sha256 cannot be checked; restore a backup with its .json manifest, or pass --without-manifest for a file taken by other means (its integrity is still checked)`);
  }
  if (existsSync(manifestFile)) {
    const m = JSON.parse(readFileSync(manifestFile, 'utf8')) as BackupManifest;
    const actual = await sha256(backup);
    if (m.sha256 !== actual) throw new Error(`${backup} does not match its manifest (sha256 ${actual} != ${m.sha256}); it was changed or damaged`);
  }
  const { schema, tables } = verifyBackup(backup);
  mkdirSync(dirname(target), { recursive: true });
  let movedAside: string | null = null;
  if (existsSync(target)) {
    movedAside = `${target}.before-restore-${now.toISOString().replace(/[:.]/g, '-')}`;
    for (const suffix of ['', '-wal', '-shm']) if (existsSync(target + suffix)) renameSync(target + suffix, movedAside + suffix);
  }
  // Written through SQLite (not copied) so the restored file is a clean, self-contained one.
  const src = new Database(backup, { readonly: true, fileMustExist: true });
  try {
    await src.backup(`${target}.partial`);
  } finally {
    src.close();
  }
  renameSync(`${target}.partial`, target);
  const check = openDatabase(target);
  try {
    const r = integrityCheck(check);
    if (!r.ok) throw new Error(`restored ${target} failed its integrity check: ${r.problems.join('; ')}`);
  } finally {
    check.close();
  }
  return { target, from: backup, movedAside, schema, tables };
}
