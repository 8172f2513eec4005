// Which process has a hub database open: `<db>.pid` beside the file while a hub (or the
// standalone ERP) runs on it. SQLite lets a second process open the file at any time, so
// without this a restore into a running hub's path "succeeds" while the hub keeps writing
// into the file that was moved aside, and every write after the restore is silently lost.
import { existsSync, readFileSync, rmSync, writeFileSync } from 'node:fs';

const ownerFile = (db: string) => `${db}.pid`;

/** Marks `db` as open by this process; returns the release (call it after closing the db). */
export function claimDatabase(db: string): () => void {
  const file = ownerFile(db);
  writeFileSync(file, `${process.pid}\n`);
  return () => {
    // Only our own mark: a successor may already have claimed the file.
    if (runningOwner(db) === process.pid) rmSync(file, { force: true });
  };
}

/** The live process that has `db` open, or null (no mark, or the process is gone: a crash). */
export function runningOwner(db: string): number | null {
  const file = ownerFile(db);
  if (!existsSync(file)) return null;
  const pid = Number(readFileSync(file, 'utf8').trim());
  if (!Number.isInteger(pid) || pid <= 0) return null;
  try {
    process.kill(pid, 0);
    return pid;
  } catch (err) {
    // EPERM: it exists but belongs to another user (a hub run by its service account).
    return (err as NodeJS.ErrnoException).code === 'EPERM' ? pid : null;
  }
}
