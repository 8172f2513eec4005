// Group commit for one SQLite connection: writes queued in the same event-loop turn run in
// one transaction (one fsync with synchronous=FULL), and each caller's promise resolves only
// after that transaction committed. The broker persistence and the ingest share one
// instance, so a burst of documents costs one fsync, not one per writer per turn.
import type { Db } from '../../shared/db.js';

interface Job { op: () => unknown; resolve: (v: unknown) => void; reject: (e: unknown) => void }

export class GroupCommit {
  readonly #db: Db;
  #jobs: Job[] = [];
  #scheduled = false;

  constructor(db: Db) {
    this.#db = db;
  }

  /** Runs `op` inside the next group transaction; resolves with its result after the commit. */
  run<T>(op: () => T): Promise<T> {
    return new Promise<T>((resolve, reject) => {
      this.#jobs.push({ op, resolve: resolve as (v: unknown) => void, reject });
      if (!this.#scheduled) {
        this.#scheduled = true;
        setImmediate(() => this.flush());
      }
    });
  }

  /** Commits what is queued now (also called on shutdown). */
  flush(): void {
    this.#scheduled = false;
    const jobs = this.#jobs;
    this.#jobs = [];
    if (!jobs.length) return;
    const results: unknown[] = [];
    try {
      this.#db.transaction(() => { for (const j of jobs) results.push(j.op()); })();
    } catch (err) {
      // One failing op fails the group: nothing of it was committed, and every caller hears so.
      for (const j of jobs) j.reject(err);
      return;
    }
    jobs.forEach((j, i) => j.resolve(results[i]));
  }
}

const shared = new WeakMap<Db, GroupCommit>();

/** The one GroupCommit of a connection. */
export function groupCommitFor(db: Db): GroupCommit {
  let g = shared.get(db);
  if (!g) shared.set(db, g = new GroupCommit(db));
  return g;
}
