// Hybrid logical clock (Kulkarni et al. 2014): wall-clock milliseconds + a logical counter +
// the node id. A Pi has no RTC, so NTP may step the wall clock by hours after boot; the HLC
// never goes backwards because it only ever takes the max of what it has seen. Restarts keep
// monotonicity through a persisted high-water mark (see hlc-store.ts).

/** Width of the zero-padded fields in the text form; the text sorts exactly like compare(). */
const WALL_DIGITS = 15;
const COUNTER_DIGITS = 8;
const MAX_COUNTER = 0xffffffff;
const NODE_RE = /^[A-Za-z0-9_.]{1,64}$/;
const TEXT_RE = /^(\d{15})-([0-9a-f]{8})-([A-Za-z0-9_.]{1,64})$/;

export interface HlcTimestamp {
  /** Physical part: Unix milliseconds (the max of every clock this node has seen). */
  wall: number;
  /** Logical counter: orders events within one millisecond. */
  counter: number;
  node: string;
}

export function formatHlc(ts: HlcTimestamp): string {
  return `${String(ts.wall).padStart(WALL_DIGITS, '0')}-${ts.counter.toString(16).padStart(COUNTER_DIGITS, '0')}-${ts.node}`;
}

export function parseHlc(text: string): HlcTimestamp {
  const m = TEXT_RE.exec(text);
  if (!m) throw new Error(`not an HLC timestamp: ${JSON.stringify(text)}`);
  return { wall: Number(m[1]), counter: parseInt(m[2] as string, 16), node: m[3] as string };
}

/** Total order: wall, then counter, then node id (ties between nodes broken by name). */
export function compareHlc(a: HlcTimestamp, b: HlcTimestamp): number {
  if (a.wall !== b.wall) return a.wall < b.wall ? -1 : 1;
  if (a.counter !== b.counter) return a.counter < b.counter ? -1 : 1;
  return a.node < b.node ? -1 : a.node > b.node ? 1 : 0;
}

export interface HlcOptions {
  node: string;
  /** Wall clock in Unix ms; injectable so tests can step it backwards. */
  wallClock?: () => number;
  /** Highest timestamp issued or seen before a restart; the clock starts above it. */
  highWaterMark?: string | null;
}

export class HybridLogicalClock {
  readonly node: string;
  private readonly wallClock: () => number;
  private wall = 0;
  private counter = 0;

  constructor(opts: HlcOptions) {
    if (!NODE_RE.test(opts.node)) throw new Error(`HLC node id must match ${NODE_RE} (got ${JSON.stringify(opts.node)})`);
    this.node = opts.node;
    this.wallClock = opts.wallClock ?? Date.now;
    if (opts.highWaterMark) this.restore(opts.highWaterMark);
  }

  /** Raises the clock to at least `text` without issuing a timestamp (start-up restore). */
  restore(text: string): void {
    const ts = parseHlc(text);
    if (ts.wall > this.wall || (ts.wall === this.wall && ts.counter > this.counter)) {
      this.wall = ts.wall;
      this.counter = ts.counter;
    }
  }

  /** A new timestamp, strictly greater than every one this clock issued or merged before. */
  now(): string {
    const pt = this.wallClock();
    if (pt > this.wall) {
      this.wall = pt;
      this.counter = 0;
    } else {
      this.tick();
    }
    return this.current();
  }

  /**
   * Merges a remote timestamp (the hub's time on an acknowledgement) and returns a local
   * timestamp greater than both. A remote far ahead is accepted on purpose: before NTP a
   * box may think it is 1970, and the hub's clock is the better one.
   */
  update(remote: string): string {
    const r = parseHlc(remote);
    const pt = this.wallClock();
    const l = Math.max(this.wall, r.wall, pt);
    if (l === this.wall && l === r.wall) this.counter = Math.max(this.counter, r.counter) + 1;
    else if (l === this.wall) this.counter += 1;
    else if (l === r.wall) this.counter = r.counter + 1;
    else this.counter = 0;
    this.wall = l;
    if (this.counter > MAX_COUNTER) this.overflow();
    return this.current();
  }

  /** The last issued/merged timestamp (the high-water mark to persist). */
  peek(): string {
    return this.current();
  }

  private tick(): void {
    this.counter += 1;
    if (this.counter > MAX_COUNTER) this.overflow();
  }

  // 4 billion events in one millisecond cannot happen from real traffic; borrowing the next
  // millisecond keeps the order total instead of throwing inside a sale.
  private overflow(): void {
    this.wall += 1;
    this.counter = 0;
  }

  private current(): string {
    return formatHlc({ wall: this.wall, counter: this.counter, node: this.node });
  }
}
