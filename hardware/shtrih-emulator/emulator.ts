// The emulator assembled: virtual FN (persisted), device, link, faults, and either a socat
// PTY pair (the honest way: the driver opens a real tty) or an in-memory line pair.
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { ShtrihDevice } from './device.js';
import { FnStore } from './fn-store.js';
import { noFaults, type FaultName, type Faults } from './faults.js';
import { DeviceLink, type LinkOptions } from './link.js';
import { memoryPair } from './memory-line.js';
import { PtyPair } from './pty.js';
import { openSerialLine, type SerialLine } from '../../firmware/printer/serial-line.js';

export interface EmulatorOptions {
  /** Folder for the tty links and (unless stateFile says otherwise) the FN state file. */
  dir: string;
  stateFile?: string | null;
  baudRate?: number;
  printLineMs?: number;
  printBufferMs?: number;
  /** FN write time per fiscal document (default 0; the CLI uses a realistic 150 ms). */
  fnDocMs?: number;
  byteTimeoutMs?: number;
  confirmTimeoutMs?: number;
  /** Shifts the device clock (e.g. to test a shift past 24 h). */
  clockOffsetMs?: number;
}

export class ShtrihEmulator {
  readonly faults: Faults = noFaults();
  readonly fn: FnStore;
  readonly device: ShtrihDevice;
  link!: DeviceLink;
  private pty: PtyPair | null = null;
  private line: SerialLine | null = null;
  clockOffsetMs: number;
  readonly linkOpts: LinkOptions;

  private constructor(readonly opts: EmulatorOptions) {
    mkdirSync(opts.dir, { recursive: true });
    this.fn = new FnStore(opts.stateFile === undefined ? join(opts.dir, 'fn-state.json') : opts.stateFile);
    this.clockOffsetMs = opts.clockOffsetMs ?? 0;
    this.device = new ShtrihDevice(this.fn, this.faults, { printLineMs: opts.printLineMs ?? 15, printBufferMs: opts.printBufferMs ?? 1000, fnDocMs: opts.fnDocMs ?? 0, clock: () => new Date(Date.now() + this.clockOffsetMs) });
    this.linkOpts = { baudRate: opts.baudRate ?? 115200, byteTimeoutMs: opts.byteTimeoutMs ?? 50, confirmTimeoutMs: opts.confirmTimeoutMs ?? 1000 };
  }

  /** The tty path the driver opens. */
  get hostPath(): string {
    return this.fixedHostPath ?? join(this.opts.dir, 'kkt');
  }

  private fixedHostPath: string | null = null;

  /** Serves the protocol on a socat pseudo-terminal pair under `opts.dir`. */
  static async onPty(opts: EmulatorOptions): Promise<ShtrihEmulator> {
    const emu = new ShtrihEmulator(opts);
    emu.pty = new PtyPair(join(opts.dir, 'kkt-device'), emu.hostPath);
    await emu.plug();
    return emu;
  }

  /**
   * Serves the protocol on a line this process already has, e.g. the master of a pty it was
   * started on (master-line.ts); `hostPath` is where the driver opens the other end.
   */
  static async onLine(opts: EmulatorOptions, line: SerialLine, hostPath: string): Promise<ShtrihEmulator> {
    const emu = new ShtrihEmulator(opts);
    emu.fixedHostPath = hostPath;
    await line.open();
    emu.line = line;
    // No onDisconnectRequest: this pty cannot be unplugged (see unplug()).
    emu.link = new DeviceLink(line, emu.device, emu.faults, emu.linkOpts);
    return emu;
  }

  /** In-process variant: returns the host end to hand to the driver. */
  static inMemory(opts: EmulatorOptions): { emulator: ShtrihEmulator; host: SerialLine; unplug: () => void } {
    const emu = new ShtrihEmulator(opts);
    const pair = memoryPair();
    void pair.device.open();
    emu.line = pair.device;
    emu.link = new DeviceLink(pair.device, emu.device, emu.faults, emu.linkOpts);
    emu.link.onDisconnectRequest = pair.unplug;
    return { emulator: emu, host: pair.host, unplug: pair.unplug };
  }

  private async plug(): Promise<void> {
    if (!this.pty) throw new Error('unplug/replug needs the PTY variant');
    await this.pty.start();
    const line = openSerialLine(this.pty.deviceLink, this.linkOpts.baudRate);
    await line.open();
    this.line = line;
    if (this.link) this.link.attach(line);
    else this.link = new DeviceLink(line, this.device, this.faults, this.linkOpts);
    this.link.onDisconnectRequest = () => void this.unplug();
  }

  get plugged(): boolean {
    return this.pty?.running ?? this.line?.isOpen ?? false;
  }

  /** The USB cable is pulled: both ttys vanish. */
  async unplug(): Promise<void> {
    if (this.fixedHostPath) throw new Error('unplug needs the socat PTY pair (npm run emulator); this emulator owns its pty for good');
    this.link.reset();
    await this.line?.close().catch(() => undefined);
    await this.pty?.stop();
  }

  async replug(): Promise<void> {
    if (this.plugged) return;
    await this.plug();
  }

  /** Applies one named fault (the same names the CLI takes). */
  async applyFault(name: FaultName, arg?: string): Promise<void> {
    const n = arg === undefined ? undefined : Number(arg);
    const off = arg === 'off';
    const f = this.faults;
    switch (name) {
      case 'paper-out': f.paperLinesLeft = n !== undefined && Number.isFinite(n) ? n : 0; break;
      case 'paper-in': this.device.paperLoaded(); break;
      case 'cover-open': f.coverOpen = !off; break;
      case 'cover-close': f.coverOpen = false; break;
      case 'fn-full': f.fnFull = !off; break;
      case 'fn-expired': f.fnExpired = !off; break;
      case 'shift-24h': {
        const s = this.fn.state.shift;
        if (!s.open) this.fn.openShift(new Date(Date.now() + this.clockOffsetMs - 25 * 3600_000), 'Кассир');
        s.openedAt = new Date(Date.now() + this.clockOffsetMs - 25 * 3600_000).toISOString();
        this.fn.save();
        break;
      }
      case 'slow': f.slowMs = off ? 0 : n ?? 2000; break;
      case 'corrupt': f.corruptReplies = off ? 0 : n ?? 1; break;
      case 'nak-storm': f.nakFrames = off ? 0 : n ?? 5; break;
      case 'silence': f.silence = !off; break;
      case 'noise': f.noiseBytes = n ?? 7; break;
      case 'lose-ack': f.lostAcks = off ? 0 : n ?? 1; break;
      case 'drop-after': {
        const [cmd, how] = (arg ?? 'ff45').split(':');
        f.dropAfter = off ? null : { cmd: parseInt(cmd ?? 'ff45', 16), how: how === 'disconnect' ? 'disconnect' : 'silence' };
        break;
      }
      case 'disconnect': await this.unplug(); break;
      case 'reconnect': await this.replug(); break;
      case 'clear':
        Object.assign(f, noFaults());
        this.device.paperLoaded();
        if (this.pty && !this.plugged) await this.replug();
        break;
    }
  }

  snapshot(): Record<string, unknown> {
    const s = this.fn.state;
    return {
      tty: this.pty || this.fixedHostPath ? this.hostPath : null, plugged: this.plugged, faults: { ...this.faults },
      mode: this.device.mode, submode: this.device.submode, receiptOpen: this.device.receipt !== null,
      fn: { number: s.fnNumber, lastFd: s.lastFd, shift: s.shift, unconfirmed: this.fn.unconfirmed().length },
      link: { ...this.link.stats }, busyRefusals: this.device.busyRefusals,
    };
  }

  async stop(): Promise<void> {
    this.link?.stop();
    await this.line?.close().catch(() => undefined);
    await this.pty?.stop();
  }
}
