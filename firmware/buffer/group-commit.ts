// Group commit: requests that arrive in the same turn of the event loop are written in one
// SQLite transaction (one fsync instead of N), and each caller is answered only after that
// commit returned. This is how the API keeps up with raw single-row inserts at low latency.

export type Outcome<R> = { ok: true; value: R } | { ok: false; error: unknown };

interface Pending<T, R> {
  item: T;
  resolve: (r: R) => void;
  reject: (e: unknown) => void;
}

export class GroupCommit<T, R> {
  private queue: Pending<T, R>[] = [];
  private scheduled = false;
  /** Batches committed and items in them since start: items/batches is the mean group size. */
  readonly stats = { batches: 0, items: 0 };

  /**
   * @param runBatch writes all items in one transaction and returns one outcome per item
   *   (an item's failure must not fail the others); it throws only if the commit failed.
   * @param maxBatch flush at once when this many are waiting.
   * @param maxWaitTurns extra event-loop turns to wait while requests keep arriving.
   */
  constructor(private readonly runBatch: (items: T[]) => Outcome<R>[], private readonly maxBatch = 256,
    private readonly maxWaitTurns = 3) {}

  submit(item: T): Promise<R> {
    return new Promise<R>((resolve, reject) => {
      this.queue.push({ item, resolve, reject });
      if (this.queue.length >= this.maxBatch) this.flush();
      else if (!this.scheduled) {
        this.scheduled = true;
        this.waitForStragglers(this.queue.length, 0);
      }
    });
  }

  // A request needs several event-loop turns from socket to submit(); while the queue still
  // grows between turns, wait one more turn (a few at most) so they share the commit.
  private waitForStragglers(seen: number, turns: number): void {
    setImmediate(() => {
      if (!this.scheduled) return;
      if (this.queue.length > seen && turns < this.maxWaitTurns) this.waitForStragglers(this.queue.length, turns + 1);
      else this.flush();
    });
  }

  /** Writes whatever is queued now (also used on shutdown). */
  flush(): void {
    this.scheduled = false;
    const batch = this.queue;
    if (batch.length === 0) return;
    this.queue = [];
    let outcomes: Outcome<R>[];
    try {
      outcomes = this.runBatch(batch.map((p) => p.item));
    } catch (err) {
      for (const p of batch) p.reject(err);
      return;
    }
    this.stats.batches += 1;
    this.stats.items += batch.length;
    batch.forEach((p, i) => {
      const o = outcomes[i];
      if (!o) p.reject(new Error('group commit: missing outcome'));
      else if (o.ok) p.resolve(o.value);
      else p.reject(o.error);
    });
  }

  get waiting(): number {
    return this.queue.length;
  }
}
