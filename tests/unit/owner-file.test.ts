import { spawnSync } from 'node:child_process';
import { existsSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { claimDatabase, runningOwner } from '../../hub/db/owner-file.js';
import { tempDir } from '../helpers/temp-dir.js';

const dirs: { remove(): void }[] = [];
afterEach(() => { for (const d of dirs.splice(0)) d.remove(); });

describe('hub database owner file', () => {
  it('names this process while it has the database, nobody after release', () => {
    const d = tempDir('owner-');
    dirs.push(d);
    const db = join(d.path, 'hub.db');
    expect(runningOwner(db)).toBeNull();
    const release = claimDatabase(db);
    expect(runningOwner(db)).toBe(process.pid);
    release();
    expect(existsSync(`${db}.pid`)).toBe(false);
  });

  it('a mark left by a process that died (kill -9) does not block a restore', () => {
    const d = tempDir('owner-');
    dirs.push(d);
    const db = join(d.path, 'hub.db');
    const gone = spawnSync(process.execPath, ['-e', 'process.stdout.write(String(process.pid))']).stdout.toString();
    writeFileSync(`${db}.pid`, `${gone}\n`);
    expect(runningOwner(db)).toBeNull();
    writeFileSync(`${db}.pid`, 'garbage\n');
    expect(runningOwner(db)).toBeNull();
  });
});
