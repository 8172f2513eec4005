// Device side of the lower level (spec App. 2): RX_STX -> frame -> ACK, execute, reply ->
// TX_CONFIRM -> (ACK) idle, or REPLY_HELD until an ENQ asks for the same reply again. A command
// runs once; only its stored reply is repeated. Line time at the configured baud rate is
// simulated on every write, and the link-level faults (NAK storms, corrupted replies, noise,
// silence, a reply lost after executing) are applied here.
import { ACK, ENQ, NAK, STX, decodeFrame, encodeFrame, type Frame } from '../../firmware/printer/codec/frame.js';
import type { SerialLine } from '../../firmware/printer/serial-line.js';
import type { ShtrihDevice } from './device.js';
import type { Faults } from './faults.js';

export interface LinkOptions {
  baudRate: number;
  /** Device byte timeout inside a frame (spec default 50 ms). */
  byteTimeoutMs: number;
  /** How long the device waits for the host's ACK of a reply. */
  confirmTimeoutMs: number;
}

type State = 'idle' | 'rx' | 'executing' | 'confirm' | 'held';

/** How long before a modeled time the device stops sleeping and watches the clock (ms). */
const SPIN_MS = 1.5;

export class DeviceLink {
  private state: State = 'idle';
  private rx: number[] = [];
  private byteTimer: NodeJS.Timeout | null = null;
  private confirmTimer: NodeJS.Timeout | null = null;
  private reply: Buffer | null = null;
  private lineFreeAt = 0;
  /** Fired when a dropAfter fault asks for an unplug. */
  onDisconnectRequest: (() => void) | null = null;
  readonly log: { cmd: number; at: number }[] = [];
  /** The device's own time: line time of every byte both ways plus execution time (ms). */
  readonly stats = { deviceMs: 0, bytesIn: 0, bytesOut: 0, frames: 0, actualMs: 0 };
  /** When the frame being executed arrived (for actualMs: real time to the reply's last byte). */
  private frameAt = 0;
  /**
   * How far the device's real time is behind its model (ms, never below zero). Node timers
   * fire 1-2 ms late, more on a busy machine, and a real device does not: every late timer adds
   * to it, and the next execution wait (FN write, printing) is shortened by it, so the device
   * keeps its modeled pace over a receipt. Sends are never shortened, so bytes keep their order.
   */
  private behindMs = 0;
  /** Timers keep the modeled time exactly (see at()): from an execution wait to its reply. */
  private exact = false;

  constructor(private line: SerialLine, private readonly device: ShtrihDevice, private readonly faults: Faults, private readonly opts: LinkOptions) {
    line.onData((b) => this.onBytes(b));
  }

  /** A new line after a replug: the device keeps its state, the link starts idle. */
  attach(line: SerialLine): void {
    this.line = line;
    this.reset();
    line.onData((b) => this.onBytes(b));
  }

  reset(): void {
    this.behindMs = 0;
    this.exact = false;
    this.state = 'idle';
    this.rx = [];
    this.clearTimers();
  }

  private clearTimers(): void {
    if (this.byteTimer) clearTimeout(this.byteTimer);
    if (this.confirmTimer) clearTimeout(this.confirmTimer);
    this.byteTimer = this.confirmTimer = null;
  }

  /** Writes after the bytes ahead of them have "left the wire" at the configured baud rate. */
  private lineMs(n: number): number {
    return (n * 10 * 1000) / this.opts.baudRate;
  }

  private send(bytes: Buffer, onWritten?: () => void): void {
    this.stats.bytesOut += bytes.length;
    this.stats.deviceMs += this.lineMs(bytes.length);
    const now = performance.now();
    const start = Math.max(now, this.lineFreeAt);
    this.lineFreeAt = start + (bytes.length * 10 * 1000) / this.opts.baudRate;
    const line = this.line;
    this.at(this.lineFreeAt, () => {
      onWritten?.();
      if (line.isOpen) line.write(bytes).catch(() => undefined);
    });
  }

  /** Runs `fn` at the modeled time `due` (performance.now() clock), recording any lateness. */
  private at(due: number, fn: () => void): void {
    const wait = due - performance.now();
    if (wait < 1) {
      // Sub-millisecond waits run now: slightly ahead of the model, which pays back lateness.
      this.behindMs = Math.max(0, this.behindMs - Math.max(0, wait));
      fn();
      return;
    }
    const run = () => {
      this.behindMs += Math.max(0, performance.now() - due);
      fn();
    };
    if (!this.exact) {
      // Rounded up: a timer must not fire before the modeled time (Node may fire a floor()ed
      // one early); the rounding, like any lateness, is paid back in the next execution wait.
      setTimeout(run, Math.ceil(wait));
      return;
    }
    // From an execution wait (FN write, printing) to the end of its reply nothing later can pay
    // lateness back, and a Node timer fires up to ~1 ms late: the rig's lateness would be
    // counted as the box's. So the timer wakes the device a little early and it watches the
    // clock on the event loop until the modeled time, as a device on its own microcontroller
    // would. (Everywhere else that would only cost CPU the box shares on a small machine.)
    const poll = () => (performance.now() >= due ? run() : void setImmediate(poll));
    if (wait > SPIN_MS) setTimeout(poll, Math.floor(wait - SPIN_MS));
    else poll();
  }

  private onBytes(chunk: Buffer): void {
    if (this.faults.silence) return;
    this.stats.bytesIn += chunk.length;
    for (const b of chunk) this.onByte(b);
  }

  private onByte(b: number): void {
    switch (this.state) {
      case 'idle':
      case 'held':
        if (b === ENQ) {
          if (this.state === 'held' && this.reply) {
            this.send(Buffer.from([ACK]));
            this.sendReply();
          } else {
            this.send(Buffer.from([NAK]));
          }
        } else if (b === STX) {
          this.state = 'rx';
          this.rx = [STX];
          this.armByteTimer();
        } else if (this.state === 'idle') {
          this.send(Buffer.from([NAK]));
        }
        return;
      case 'rx':
        this.rx.push(b);
        this.armByteTimer();
        if (this.rx.length >= 2 && this.rx.length === (this.rx[1] as number) + 3) this.frameDone();
        return;
      case 'executing':
        if (b === ENQ) this.send(Buffer.from([ACK]));
        return;
      case 'confirm':
        if (this.confirmTimer) clearTimeout(this.confirmTimer);
        this.confirmTimer = null;
        if (b === ACK) {
          this.state = 'idle';
          this.reply = null;
        } else if (b === ENQ && this.reply) {
          this.send(Buffer.from([ACK]));
          this.sendReply();
        } else {
          this.state = 'held';
        }
        return;
    }
  }

  private armByteTimer(): void {
    if (this.byteTimer) clearTimeout(this.byteTimer);
    this.byteTimer = setTimeout(() => {
      this.byteTimer = null;
      if (this.state !== 'rx') return;
      this.state = 'idle';
      this.send(Buffer.from([NAK]));
    }, this.opts.byteTimeoutMs);
  }

  private frameDone(): void {
    if (this.byteTimer) clearTimeout(this.byteTimer);
    this.byteTimer = null;
    let frame: Frame;
    try {
      if ((this.rx[1] as number) === 0) throw new Error('empty');
      frame = decodeFrame(Buffer.from(this.rx));
    } catch {
      this.state = 'idle';
      this.send(Buffer.from([NAK]));
      return;
    }
    if (this.faults.nakFrames > 0) {
      this.faults.nakFrames--;
      this.state = 'idle';
      this.send(Buffer.from([NAK]));
      return;
    }
    // A PTY delivers the frame at once; a real line would still be clocking it in. The device
    // acts when the last byte would have arrived.
    const inMs = this.lineMs(this.rx.length);
    this.stats.deviceMs += inMs;
    this.frameAt = performance.now();
    this.state = 'executing';
    this.reply = null;
    this.stats.frames++;
    const run = () => {
      const t0 = performance.now();
      const data = this.device.execute(frame.cmd, frame.data);
      this.stats.deviceMs += performance.now() - t0 + this.faults.slowMs + this.device.execDelayMs(frame.cmd);
      this.log.push({ cmd: frame.cmd, at: Date.now() });
      this.reply = encodeFrame(frame.cmd, data);
      const drop = this.faults.dropAfter;
      if (drop && drop.cmd === frame.cmd) {
        this.faults.dropAfter = null;
        this.state = 'held';
        if (drop.how === 'silence') this.faults.silence = true;
        else this.onDisconnectRequest?.();
        return;
      }
      this.sendReply();
    };
    const delay = this.faults.slowMs + this.device.execDelayMs(frame.cmd);
    const ackAndRun = () => {
      if (this.faults.lostAcks > 0) this.faults.lostAcks--;
      else this.send(Buffer.from([ACK]));
      if (delay <= 0) {
        run();
        return;
      }
      // The execution wait pays back lateness the device has built up (never below zero).
      const pay = Math.min(delay, Math.max(0, this.behindMs));
      this.behindMs -= pay;
      this.exact = true;
      this.at(performance.now() + delay - pay, run);
    };
    this.at(this.frameAt + inMs, ackAndRun);
  }

  private sendReply(): void {
    const reply = this.reply;
    if (!reply) return;
    if (this.faults.noiseBytes > 0) {
      const n = this.faults.noiseBytes;
      this.faults.noiseBytes = 0;
      this.send(Buffer.alloc(n, 0xff));
    }
    let out = reply;
    if (this.faults.corruptReplies > 0) {
      this.faults.corruptReplies--;
      out = Buffer.from(reply);
      out[out.length - 1] = (out[out.length - 1] as number) ^ 0x5a;
    }
    this.state = 'confirm';
    // Real time the device took for this command, late timers of a busy machine included.
    const at = this.frameAt;
    this.frameAt = 0;
    this.send(out, () => {
      if (at) this.stats.actualMs += performance.now() - at;
      this.exact = false;
    });
    if (this.confirmTimer) clearTimeout(this.confirmTimer);
    this.confirmTimer = setTimeout(() => {
      this.confirmTimer = null;
      if (this.state === 'confirm') this.state = 'held';
    }, this.opts.confirmTimeoutMs + (out.length * 10 * 1000) / this.opts.baudRate);
  }

  stop(): void {
    this.clearTimers();
  }
}
