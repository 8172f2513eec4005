import { describe, expect, it } from 'vitest';
import { migrate, openDatabase, type Migration } from '../../shared/db.js';

const v1: Migration = { version: 1, name: 'a', up: 'CREATE TABLE a (x)' };
const v2: Migration = { version: 2, name: 'b', up: 'CREATE TABLE b (y)' };

describe('migrate', () => {
  it('applies pending migrations in order and is a no-op when up to date', () => {
    const db = openDatabase(':memory:');
    expect(migrate(db, 'c', [v2, v1])).toBe(2);
    expect(migrate(db, 'c', [v1, v2])).toBe(2);
    expect(db.prepare("SELECT COUNT(*) AS n FROM sqlite_master WHERE name IN ('a', 'b')").get()).toEqual({ n: 2 });
  });

  it('refuses a database written by newer code, naming both versions, and changes nothing', () => {
    const db = openDatabase(':memory:');
    migrate(db, 'c', [v1, v2]);
    expect(() => migrate(db, 'c', [v1])).toThrow(/c: the database is at schema version 2, newer than this code knows \(1\)/);
    expect(db.prepare("SELECT MAX(version) AS v FROM schema_migrations WHERE component = 'c'").get()).toEqual({ v: 2 });
    // Another component in the same file is not affected.
    expect(migrate(db, 'other', [v1].map((m) => ({ ...m, up: 'CREATE TABLE other_a (x)' })))).toBe(1);
  });
});
