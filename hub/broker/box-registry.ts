// Who may connect to the hub's broker: one row per box (its store, a scrypt hash of its
// secret) plus service users (the hub's own logic). Secrets are never stored in clear; a
// lookup that fails costs the same scrypt as one that succeeds so timing tells nothing.
import { randomBytes, scryptSync, timingSafeEqual } from 'node:crypto';
import { migrate, type Db } from '../../shared/db.js';
import { isValidId } from '../../shared/mqtt/topics.js';

export type Principal =
  | { role: 'box'; username: string; store: string; box: string }
  | { role: 'service'; username: string };

const MIGRATIONS = [{
  version: 1,
  name: 'mqtt users',
  up: `CREATE TABLE mqtt_users (
    username TEXT PRIMARY KEY,
    role TEXT NOT NULL CHECK (role IN ('box', 'service')),
    store_id TEXT,
    salt BLOB NOT NULL,
    hash BLOB NOT NULL,
    disabled INTEGER NOT NULL DEFAULT 0,
    created_at TEXT NOT NULL,
    CHECK ((role = 'box') = (store_id IS NOT NULL)))`,
}];

const KEYLEN = 32;
// N=2^14 keeps a connect under ~50 ms on a Pi while making offline guessing expensive.
const SCRYPT = { N: 16384, r: 8, p: 1 } as const;
const DUMMY_SALT = randomBytes(16);

function hashSecret(secret: string, salt: Buffer): Buffer {
  return scryptSync(secret, salt, KEYLEN, SCRYPT);
}

export class BoxRegistry {
  readonly #db: Db;
  readonly #cache = new Map<string, { principal: Principal; salt: Buffer; hash: Buffer }>();

  constructor(db: Db) {
    this.#db = db;
    migrate(db, 'mqtt_users', MIGRATIONS);
  }

  /** Adds or re-keys a box. The box id is also its MQTT username and client id. */
  upsertBox(store: string, box: string, secret: string): void {
    if (!isValidId(store) || !isValidId(box)) throw new Error(`invalid store/box id ${store}/${box}`);
    this.#upsert(box, 'box', store, secret);
  }

  /** Service users start with "_" so no box id (which may not) can collide with them. */
  upsertService(username: string, secret: string): void {
    if (!/^_[A-Za-z0-9_-]{1,63}$/.test(username)) throw new Error('a service username starts with _ and has 2-64 of A-Z a-z 0-9 _ -');
    this.#upsert(username, 'service', null, secret);
  }

  #upsert(username: string, role: 'box' | 'service', store: string | null, secret: string): void {
    if (secret.length < 12) throw new Error('a secret needs at least 12 characters');
    const salt = randomBytes(16);
    this.#db.prepare(`INSERT INTO mqtt_users (username, role, store_id, salt, hash, created_at) VALUES (?, ?, ?, ?, ?, ?)
      ON CONFLICT (username) DO UPDATE SET role = excluded.role, store_id = excluded.store_id, salt = excluded.salt,
      hash = excluded.hash, disabled = 0`)
      .run(username, role, store, salt, hashSecret(secret, salt), new Date().toISOString());
    this.#cache.delete(username);
  }

  disable(username: string): boolean {
    this.#cache.delete(username);
    return this.#db.prepare('UPDATE mqtt_users SET disabled = 1 WHERE username = ?').run(username).changes === 1;
  }

  boxes(): { store: string; box: string; disabled: boolean }[] {
    return (this.#db.prepare("SELECT store_id, username, disabled FROM mqtt_users WHERE role = 'box' ORDER BY store_id, username").all() as
      { store_id: string; username: string; disabled: number }[]).map((r) => ({ store: r.store_id, box: r.username, disabled: r.disabled === 1 }));
  }

  /** The principal for these credentials, or null. */
  verify(username: string | undefined, secret: Buffer | undefined): Principal | null {
    if (!username || !secret) return null;
    const row = this.#load(username);
    const candidate = hashSecret(secret.toString('utf8'), row?.salt ?? DUMMY_SALT);
    if (!row) return null;
    return timingSafeEqual(candidate, row.hash) ? row.principal : null;
  }

  /**
   * The principal of an enabled user, without its secret: for acts done on its behalf after it
   * left (a dead broker's stored will), which must follow its current rights.
   */
  principal(username: string): Principal | null {
    return this.#load(username)?.principal ?? null;
  }

  #load(username: string) {
    const cached = this.#cache.get(username);
    if (cached) return cached;
    const r = this.#db.prepare('SELECT role, store_id, salt, hash FROM mqtt_users WHERE username = ? AND disabled = 0').get(username) as
      { role: 'box' | 'service'; store_id: string | null; salt: Buffer; hash: Buffer } | undefined;
    if (!r) return undefined;
    const principal: Principal = r.role === 'box'
      ? { role: 'box', username, store: r.store_id ?? '', box: username }
      : { role: 'service', username };
    const entry = { principal, salt: r.salt, hash: r.hash };
    this.#cache.set(username, entry);
    return entry;
  }
}
