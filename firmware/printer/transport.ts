// Host side of the ENQ/ACK/NAK exchange (spec App. 3): one command at a time through one
// queue, per-byte and per-command timeouts, frame resends on NAK, reply re-reads on a bad
// LRC or silence, stray bytes skipped. The one distinction that matters to callers: did the
// printer possibly execute the command (UncertainOutcomeError) or certainly not
// (PrinterUnavailableError)?
//
// ENQ first is the spec's recommended host start, and we send it whenever the link's state is
// not known. Right after an exchange that ended cleanly (we ACKed the reply to our command and
// nothing else arrived since) the device is waiting for STX (spec App. 2, RX_STX), so the next
// frame goes out at once: one round trip fewer per command. Any doubt (no ACK to the frame, a
// stray byte, a reopened line, an error) puts the ENQ back. Commands that make or print a
// document (closes, reports, shift open) always start with ENQ: an unanswered ENQ proves the
// command was never sent, which an unanswered frame cannot.
import { ACK, ENQ, NAK, STX, cmdName, decodeFrame, encodeFrame, type Frame } from './codec/frame.js';
import { CMD, QUERIES } from './codec/commands.js';
import { PrinterUnavailableError, UncertainOutcomeError } from './errors.js';
import type { SerialLine } from './serial-line.js';
import type { Logger } from '../../shared/logger.js';

export interface TransportTimings {
  /** Gap allowed between bytes of one frame (spec: 50 ms; PTYs and USB adapters need more). */
  byteTimeoutMs: number;
  /** Wait for ACK/NAK after ENQ or after a frame. */
  ackTimeoutMs: number;
  /** ENQs without any answer before the link counts as lost. */
  maxEnqAttempts: number;
  /** Frame resends (I) and reply re-reads (J), spec: 10. */
  maxRetries: number;
  /** While a reply is awaited, ENQ again after this much quiet (spec: RX_REPLY STX timeout). */
  replyPollMs: number;
}

export const DEFAULT_TIMINGS: TransportTimings = { byteTimeoutMs: 100, ackTimeoutMs: 1000, maxEnqAttempts: 3, maxRetries: 10, replyPollMs: 1000 };

class LineClosed extends Error {}

/** May go out without ENQ after a clean exchange: queries, and adding an item to an open
 * receipt (not fiscal; a failed receipt is cancelled whatever happened to the item). */
const FAST_START = new Set<number>([...QUERIES, CMD.operationV2]);

/** Whether a failed exchange may have run the command: it was sent, and it is not a query. */
const mayHaveRun = (cmd: number, sent: boolean): boolean => sent && !QUERIES.has(cmd);

/** Bytes in arrival order with one waiting reader at a time. */
class Inbox {
  private bytes: number[] = [];
  private waiter: { resolve: (b: number | null) => void; reject: (e: Error) => void; timer: NodeJS.Timeout } | null = null;
  private closed = false;
  /** Time readers spent waiting for a byte that had not arrived yet (ms). */
  waitedMs = 0;

  push(chunk: Buffer): void {
    for (const b of chunk) this.bytes.push(b);
    this.wake();
  }
  close(): void {
    this.closed = true;
    const w = this.waiter;
    if (w) {
      this.waiter = null;
      clearTimeout(w.timer);
      w.reject(new LineClosed('line closed'));
    }
  }
  reopen(): void {
    this.closed = false;
    this.bytes = [];
  }
  /** Puts a byte back at the front (a reply's STX read where an ACK was expected). */
  unshift(b: number): void {
    this.bytes.unshift(b);
  }
  get size(): number {
    return this.bytes.length;
  }
  clear(): number {
    const n = this.bytes.length;
    this.bytes = [];
    return n;
  }
  private wake(): void {
    const w = this.waiter;
    if (w && this.bytes.length > 0) {
      this.waiter = null;
      clearTimeout(w.timer);
      w.resolve(this.bytes.shift() as number);
    }
  }
  /** Next byte, or null after `ms` of silence. */
  read(ms: number): Promise<number | null> {
    if (this.bytes.length > 0) return Promise.resolve(this.bytes.shift() as number);
    if (this.closed) return Promise.reject(new LineClosed('line closed'));
    const t0 = performance.now();
    const waited = () => (this.waitedMs += performance.now() - t0);
    return new Promise<number | null>((resolve, reject) => {
      const timer = setTimeout(() => {
        this.waiter = null;
        resolve(null);
      }, ms);
      this.waiter = { resolve, reject, timer };
    }).finally(waited);
  }
}

type ReadResult = { kind: 'frame'; frame: Frame } | { kind: 'timeout' } | { kind: 'bad' };

export interface TransportStats {
  commands: number; naks: number; rereads: number; strayBytes: number; enqTimeouts: number; enqSkipped: number;
  /** Time spent waiting for the device's bytes (ACKs, replies, ENQ answers), ms since start. */
  deviceWaitMs: number;
}

export class Transport {
  private readonly inbox = new Inbox();
  private tail: Promise<unknown> = Promise.resolve();
  readonly stats: TransportStats;
  /** Bytes waiting for this turn's single write (see put). */
  private batch: { parts: Buffer[]; done: Promise<Error | null> } | null = null;
  /** The last exchange ended cleanly: the device waits for STX, no ENQ needed. */
  private clean = false;
  /** How many times the line was (re)opened: another open may be another printer or FN. */
  opens = 0;

  constructor(private readonly line: SerialLine, private readonly log: Logger, private readonly t: TransportTimings = DEFAULT_TIMINGS) {
    const inbox = this.inbox;
    this.stats = {
      commands: 0, naks: 0, rereads: 0, strayBytes: 0, enqTimeouts: 0, enqSkipped: 0,
      get deviceWaitMs() {
        return inbox.waitedMs;
      },
    };
    line.onData((b) => this.inbox.push(b));
    line.onClose(() => this.inbox.close());
  }

  /** Call after the line was (re)opened. */
  lineOpened(): void {
    this.opens++;
    this.clean = false;
    this.inbox.reopen();
  }

  /** Queues one command; resolves with the printer's reply frame (error byte not checked). */
  send(cmd: number, data: Buffer, replyTimeoutMs: number): Promise<Frame> {
    const run = this.tail.then(() => this.exchange(cmd, data, replyTimeoutMs));
    this.tail = run.catch(() => undefined);
    return run;
  }

  private async exchange(cmd: number, data: Buffer, replyTimeoutMs: number): Promise<Frame> {
    if (!this.line.isOpen) throw new PrinterUnavailableError(`printer line ${this.line.path} is not open`);
    this.stats.commands++;
    const frame = encodeFrame(cmd, data);
    let sent = false;
    try {
      return await this.run(cmd, frame, replyTimeoutMs, (v) => (sent = v));
    } catch (err) {
      if (err instanceof LineClosed) {
        throw mayHaveRun(cmd, sent)
          ? new UncertainOutcomeError(`line closed after ${cmdName(cmd)} was sent`, cmd)
          : new PrinterUnavailableError(`printer line ${this.line.path} closed`);
      }
      throw err;
    }
  }

  private async run(cmd: number, frame: Buffer, replyTimeoutMs: number, markSent: (sent: boolean) => void): Promise<Frame> {
    let sent = false;
    // The whole exchange, handshakes and retries included, fits in the reply wait.
    const deadline = Date.now() + replyTimeoutMs;
    let resends = 0;
    let rereads = 0;
    let silentEnqs = 0;
    /** Our frame went out at least once in this exchange (even if later taken for refused). */
    let everSent = false;
    let skipEnq = this.clean && this.inbox.size === 0 && FAST_START.has(cmd);
    this.clean = false;
    const fail = (why: string): never => {
      if (mayHaveRun(cmd, sent)) throw new UncertainOutcomeError(`${cmdName(cmd)}: ${why} after the command was sent`, cmd);
      throw new PrinterUnavailableError(`${cmdName(cmd)}: ${why}`);
    };
    for (;;) {
      if (Date.now() > deadline) fail('timed out');
      // Whatever is still in the input is from an earlier step (late NAKs, noise): stale.
      this.stats.strayBytes += this.inbox.clear();
      let b: number | null;
      if (skipEnq) {
        // As if the device had answered NAK ("ready for a frame"): it did, implicitly.
        skipEnq = false;
        this.stats.enqSkipped++;
        b = NAK;
      } else {
        b = await this.putAndRead(Buffer.from([ENQ]), Math.max(1, Math.min(this.t.ackTimeoutMs, deadline - Date.now())));
      }
      if (b === null) {
        this.stats.enqTimeouts++;
        if (++silentEnqs >= this.t.maxEnqAttempts) fail('no answer to ENQ');
        continue;
      }
      silentEnqs = 0;
      if (b === NAK) {
        // The printer is idle and holds no reply: our command (if sent before) never ran.
        if (resends > this.t.maxRetries) fail('the printer kept refusing the frame');
        sent = true;
        everSent = true;
        markSent(true);
        // A write that fails means the frame never left.
        const a = await this.putAndRead(frame, this.t.ackTimeoutMs, () => {
          sent = false;
          markSent(false);
        });
        if (a === NAK) {
          // Refused frames are not executed: the outcome is certain again.
          sent = false;
          markSent(false);
          this.stats.naks++;
          resends++;
          continue;
        }
        if (a === STX) {
          // The ACK was lost but the reply is already coming: read it.
          this.inbox.unshift(a);
        } else if (a !== ACK) {
          if (a !== null) await this.skipNoise(a);
          continue;
        }
      } else if (b === ACK) {
        if (!sent) {
          // A reply nobody waits for (a previous command's): take it off the line and go on.
          const stale = await this.readFrame(this.t.ackTimeoutMs);
          if (stale.kind === 'frame') {
            await this.put(Buffer.from([ACK]));
            // Unless our own frame went out earlier in this exchange and was taken for refused
            // (a NAK that answered something else): after our frame the device holds no older
            // reply, so a reply to this command is ours. Sending the frame again would run it twice.
            if (everSent && stale.frame.cmd === cmd) {
              this.log.warn({ cmd: cmdName(cmd) }, 'the reply to a frame taken for refused arrived: the command ran once');
              this.clean = true;
              return stale.frame;
            }
          }
          this.log.warn({ cmd: cmdName(cmd), stale: stale.kind }, 'discarded a stale reply before sending');
          continue;
        }
      } else {
        await this.skipNoise(b);
        continue;
      }
      // A reply is on its way (fresh ACK of our frame, or ACK to ENQ while one is held/prepared).
      // Waiting long for STX would hide a lost reply; an ENQ every poll interval either gets
      // ACK (still executing / reply held, resent) or silence, which ends the link quickly.
      const r = await this.readFrame(Math.max(1, Math.min(this.t.replyPollMs, deadline - Date.now())));
      if (r.kind === 'frame') {
        // Not awaited: the reply is ours once read, the ACK only releases the device, and the
        // next write queues behind it. A failed write is the line going away, which the next
        // command meets.
        this.put(Buffer.from([ACK])).catch(() => undefined);
        if (r.frame.cmd !== cmd) {
          this.log.warn({ want: cmdName(cmd), got: cmdName(r.frame.cmd) }, 'reply to another command ignored');
          continue;
        }
        this.clean = true;
        return r.frame;
      }
      if (r.kind === 'bad') {
        await this.put(Buffer.from([NAK]));
        this.stats.rereads++;
        if (++rereads > this.t.maxRetries) fail('replies kept arriving corrupted');
      }
    }
  }

  /**
   * Bytes put in the same turn of the event loop go out in one write, so the ACK of a reply and
   * the next command's frame are one trip through the serial binding (its stream, its thread
   * pool) instead of two. Rejects with LineClosed when the write fails (EIO on an unplugged tty).
   */
  private put(bytes: Buffer): Promise<void> {
    let batch = this.batch;
    if (!batch) {
      const parts: Buffer[] = [];
      const done = new Promise<Error | null>((resolve) => {
        setImmediate(() => {
          this.batch = null;
          this.line.write(parts.length === 1 ? (parts[0] as Buffer) : Buffer.concat(parts))
            .then(() => resolve(null), (err: unknown) => resolve(new LineClosed(`write failed: ${(err as Error).message}`)));
        });
      });
      batch = this.batch = { parts, done };
    }
    batch.parts.push(bytes);
    return batch.done.then((err) => {
      if (err) throw err;
    });
  }

  /**
   * Writes `bytes` and waits for the device's answer while the write completes (both take a
   * trip through the serial binding). A failed write wins over whatever was read:
   * `onWriteFailed` runs and LineClosed is thrown.
   */
  private async putAndRead(bytes: Buffer, ms: number, onWriteFailed?: () => void): Promise<number | null> {
    const written = this.put(bytes).then(() => null, (err: unknown) => err as Error);
    let b: number | null;
    try {
      b = await this.inbox.read(ms);
    } catch (err) {
      if (await written) onWriteFailed?.();
      throw err;
    }
    const failed = await written;
    if (failed) {
      onWriteFailed?.();
      throw failed;
    }
    return b;
  }

  /** Stray bytes: wait until the line is quiet for a byte-timeout, then start over. */
  private async skipNoise(first: number): Promise<void> {
    let n = 1;
    this.log.debug({ byte: first }, 'stray byte on the line');
    while ((await this.inbox.read(this.t.byteTimeoutMs)) !== null) n++;
    this.stats.strayBytes += n;
  }

  private async readFrame(firstByteMs: number): Promise<ReadResult> {
    let b = await this.inbox.read(firstByteMs);
    while (b !== null && b !== STX) {
      this.stats.strayBytes++;
      b = await this.inbox.read(this.t.byteTimeoutMs);
    }
    if (b === null) return { kind: 'timeout' };
    const len = await this.inbox.read(this.t.byteTimeoutMs);
    if (len === null || len === 0) return { kind: len === null ? 'timeout' : 'bad' };
    const buf = [STX, len];
    for (let i = 0; i <= len; i++) {
      const x = await this.inbox.read(this.t.byteTimeoutMs);
      if (x === null) return { kind: 'bad' };
      buf.push(x);
    }
    try {
      return { kind: 'frame', frame: decodeFrame(Buffer.from(buf)) };
    } catch {
      return { kind: 'bad' };
    }
  }
}
