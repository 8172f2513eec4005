// Opening a SQLite database the one way this product does it: WAL, synchronous=FULL on every
// open (better-sqlite3's build default reverts a reopened WAL database to NORMAL), a busy
// timeout, and versioned migrations per component so box, hub ingest and ERP can each own
// their tables in one file without ordering conflicts.
import Database from 'better-sqlite3';
import { mkdirSync } from 'node:fs';
import { dirname } from 'node:path';

export type Db = Database.Database;

export interface Migration {
  /** Monotonic within its component, starting at 1. */
  version: number;
  name: string;
  up: string | ((db: Db) => void);
}

export interface OpenOptions {
  /** FULL for anything acknowledged to a user; NORMAL only for rebuildable caches. */
  synchronous?: 'FULL' | 'NORMAL';
  readonly?: boolean;
  busyTimeoutMs?: number;
}

export function openDatabase(file: string, opts: OpenOptions = {}): Db {
  if (file !== ':memory:' && !opts.readonly) mkdirSync(dirname(file), { recursive: true });
  const db = new Database(file, { readonly: opts.readonly ?? false, fileMustExist: opts.readonly ?? false });
  db.pragma(`busy_timeout = ${opts.busyTimeoutMs ?? 5000}`);
  if (!opts.readonly) {
    db.pragma('journal_mode = WAL');
    db.pragma(`synchronous = ${opts.synchronous ?? 'FULL'}`);
    db.pragma('foreign_keys = ON');
  }
  return db;
}

const statementCache = new WeakMap<Db, Map<string, Database.Statement>>();

/**
 * The prepared statement for `sql` on `db`, prepared once per connection. Preparing costs
 * about as much as running a small statement, so hot paths must not prepare per call.
 */
export function stmt(db: Db, sql: string): Database.Statement {
  let byText = statementCache.get(db);
  if (!byText) statementCache.set(db, (byText = new Map()));
  let s = byText.get(sql);
  if (!s) byText.set(sql, (s = db.prepare(sql)));
  return s;
}

/** `PRAGMA integrity_check` result: 'ok' or the list of problems SQLite reports. */
export function integrityCheck(db: Db): { ok: true } | { ok: false; problems: string[] } {
  const rows = db.pragma('integrity_check') as { integrity_check: string }[];
  const problems = rows.map((r) => r.integrity_check).filter((s) => s !== 'ok');
  return problems.length ? { ok: false, problems } : { ok: true };
}

/** Applies the component's pending migrations, each in its own transaction. Returns the new version. */
export function migrate(db: Db, component: string, migrations: readonly Migration[]): number {
  db.exec(`CREATE TABLE IF NOT EXISTS schema_migrations (
    component TEXT NOT NULL, version INTEGER NOT NULL, name TEXT NOT NULL,
    applied_at TEXT NOT NULL, PRIMARY KEY (component, version))`);
  const current = (db.prepare('SELECT COALESCE(MAX(version), 0) AS v FROM schema_migrations WHERE component = ?')
    .get(component) as { v: number }).v;
  const sorted = [...migrations].sort((a, b) => a.version - b.version);
  const known = sorted.at(-1)?.version ?? 0;
  if (current > known) {
    // Newer code wrote this file (a restored backup, a downgrade): its tables may mean things
    // this code does not know, so it is not opened at all rather than half understood.
    throw new Error(`${component}: the database is at schema version ${current}, newer than this code knows (${known}); run the version that wrote it, or restore a backup taken by this version`);
  }
  let version = current;
  for (const m of sorted) {
    if (m.version <= current) continue;
    if (m.version !== version + 1) throw new Error(`${component}: migration ${m.version} follows ${version}; versions must be consecutive`);
    db.transaction(() => {
      if (typeof m.up === 'string') db.exec(m.up);
      else m.up(db);
      db.prepare('INSERT INTO schema_migrations (component, version, name, applied_at) VALUES (?, ?, ?, ?)')
        .run(component, m.version, m.name, new Date().toISOString());
    })();
    version = m.version;
  }
  return version;
}
