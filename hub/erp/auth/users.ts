// ERP users and their roles. Passwords are stored as scrypt hashes with a per-user salt;
// sessions as SHA-256 of a random token, so a copied database holds no usable session.
import { createHash, randomBytes, scryptSync, timingSafeEqual } from 'node:crypto';
import type { Db } from '../../../shared/db.js';
import { FieldErrors } from '../domain/errors.js';
import { readEnum, readText } from '../domain/fields.js';

export const ROLES = ['optician', 'manager', 'admin'] as const;
export type Role = (typeof ROLES)[number];

export interface User {
  id: number;
  username: string;
  display_name: string;
  role: Role;
}

const SESSION_HOURS = 12;
const MAX_PASSWORD = 200;

export function hashPassword(password: string): string {
  const salt = randomBytes(16);
  const hash = scryptSync(password, salt, 32);
  return `scrypt$${salt.toString('base64')}$${hash.toString('base64')}`;
}

export function verifyPassword(password: string, stored: string): boolean {
  const [scheme, salt, hash] = stored.split('$');
  if (scheme !== 'scrypt' || !salt || !hash) return false;
  const expected = Buffer.from(hash, 'base64');
  const actual = scryptSync(password, Buffer.from(salt, 'base64'), expected.length);
  return timingSafeEqual(actual, expected);
}

const sha256 = (s: string) => createHash('sha256').update(s).digest('hex');

export class Users {
  constructor(private readonly db: Db, private readonly now: () => Date) {}

  create(input: Record<string, unknown>): User {
    const errs = new FieldErrors().onlyKnown(input, ['username', 'display_name', 'role', 'password']);
    const username = readText(errs, 'username', input.username, 40, true);
    const display_name = readText(errs, 'display_name', input.display_name ?? input.username, 80, true);
    const role = readEnum(errs, 'role', input.role, ROLES, true);
    const password = typeof input.password === 'string' ? input.password : '';
    if (input.password !== undefined && typeof input.password !== 'string') errs.add('password', 'text', { max: String(MAX_PASSWORD) });
    // The upper bound is what the message has always said; it also keeps one request from
    // feeding scrypt a megabyte.
    else if (password.length < 8 || password.length > MAX_PASSWORD) errs.add('password', 'range', { min: '8', max: String(MAX_PASSWORD), unit: ' characters' });
    if (username && this.db.prepare('SELECT 1 FROM erp_users WHERE username = ?').get(username)) errs.add('username', 'unique', { other: 'another user' });
    errs.throwIfAny();
    const r = this.db.prepare('INSERT INTO erp_users (username, display_name, role, password_hash, created_at) VALUES (?, ?, ?, ?, ?)')
      .run(username, display_name, role, hashPassword(password), this.now().toISOString());
    return { id: Number(r.lastInsertRowid), username: username as string, display_name: display_name as string, role: role as Role };
  }

  /** Creates the user unless one with that name exists (the demo admin at start-up). */
  ensure(input: { username: string; password: string; role: Role; display_name?: string }): User {
    const row = this.db.prepare('SELECT id, username, display_name, role FROM erp_users WHERE username = ?').get(input.username) as User | undefined;
    return row ?? this.create(input as unknown as Record<string, unknown>);
  }

  list(): User[] {
    return this.db.prepare('SELECT id, username, display_name, role FROM erp_users WHERE active = 1 ORDER BY username').all() as User[];
  }

  /** A new session token for valid credentials, else null (same answer for unknown user and bad password). */
  login(username: string, password: string): { token: string; user: User; expires_at: string } | null {
    const row = this.db.prepare('SELECT id, username, display_name, role, password_hash FROM erp_users WHERE username = ? AND active = 1')
      .get(username) as (User & { password_hash: string }) | undefined;
    if (!row || !verifyPassword(password, row.password_hash)) return null;
    const token = randomBytes(32).toString('base64url');
    const now = this.now();
    const expires_at = new Date(now.getTime() + SESSION_HOURS * 3600_000).toISOString();
    this.db.prepare('INSERT INTO erp_sessions (token_hash, user_id, created_at, expires_at) VALUES (?, ?, ?, ?)').run(sha256(token), row.id, now.toISOString(), expires_at);
    return { token, user: { id: row.id, username: row.username, display_name: row.display_name, role: row.role }, expires_at };
  }

  bySession(token: string): User | null {
    const row = this.db.prepare(`SELECT u.id, u.username, u.display_name, u.role FROM erp_sessions s JOIN erp_users u ON u.id = s.user_id
      WHERE s.token_hash = ? AND s.expires_at > ? AND u.active = 1`).get(sha256(token), this.now().toISOString()) as User | undefined;
    return row ?? null;
  }

  logout(token: string): void {
    this.db.prepare('DELETE FROM erp_sessions WHERE token_hash = ?').run(sha256(token));
  }
}
