// The narrow edge between the driver and the wire. The driver only needs to open, write,
// be told of bytes and of the line going away, and close; anything that does that (a real
// port, a mock binding, a test double) can carry the protocol.
import { SerialPortMock } from 'serialport';
import { SerialPortStream } from '@serialport/stream';
import { DirectIoBinding } from './direct-io-binding.js';

export interface SerialLine {
  readonly path: string;
  readonly isOpen: boolean;
  open(): Promise<void>;
  write(bytes: Buffer): Promise<void>;
  close(): Promise<void>;
  onData(cb: (bytes: Buffer) => void): void;
  /** The line closed: `disconnected` is true for an unplug, false for our own close(). */
  onClose(cb: (disconnected: boolean) => void): void;
  /** The tty took low-latency mode on open (only a real serial device can). */
  readonly lowLatency?: boolean;
}

type Port = SerialPortStream;

class PortLine implements SerialLine {
  private port: Port | null = null;
  lowLatency = false;
  private readonly dataCbs: ((b: Buffer) => void)[] = [];
  private readonly closeCbs: ((d: boolean) => void)[] = [];
  constructor(readonly path: string, private readonly make: () => Port) {}

  get isOpen(): boolean {
    return this.port?.isOpen ?? false;
  }

  async open(): Promise<void> {
    if (this.isOpen) return;
    const port = this.make();
    await new Promise<void>((resolve, reject) => port.open((err) => (err ? reject(err) : resolve())));
    this.port = port;
    port.on('data', (b: Buffer) => this.dataCbs.forEach((cb) => cb(b)));
    // An unplugged tty shows up as an error or a close with `disconnected`; both end the line.
    let closed = false;
    const ended = (disconnected: boolean) => {
      if (closed) return;
      closed = true;
      if (this.port === port) this.port = null;
      this.closeCbs.forEach((cb) => cb(disconnected));
    };
    port.on('close', (err?: { disconnected?: boolean }) => ended(err?.disconnected ?? false));
    port.on('error', () => {
      if (port.isOpen) port.close(() => ended(true));
      else ended(true);
    });
    // After the listeners: a line that goes away meanwhile is still reported.
    this.lowLatency = port instanceof SerialPortMock ? false : await askLowLatency(port);
  }

  async write(bytes: Buffer): Promise<void> {
    const port = this.port;
    if (!port?.isOpen) throw new Error(`${this.path} is not open`);
    await new Promise<void>((resolve, reject) => {
      port.write(bytes, (err) => (err ? reject(err) : resolve()));
    });
  }

  async close(): Promise<void> {
    const port = this.port;
    if (!port?.isOpen) return;
    await new Promise<void>((resolve) => port.close(() => resolve()));
  }

  onData(cb: (b: Buffer) => void): void {
    this.dataCbs.push(cb);
  }

  onClose(cb: (d: boolean) => void): void {
    this.closeCbs.push(cb);
  }
}

/**
 * Asks the tty for ASYNC_LOW_LATENCY. On an FTDI USB-serial adapter that sets its latency timer
 * to 1 ms: by default it holds a short reply up to 16 ms before passing it to the host, and a
 * sale waits for 7 replies. Other adapters and pseudo-terminals refuse or ignore it, which is
 * fine; the udev rule (hardware/udev) sets the FTDI timer at plug time as well. node-serialport
 * reports no error when only the low-latency step fails, so the result is read back.
 */
async function askLowLatency(port: SerialPortStream): Promise<boolean> {
  try {
    await new Promise<void>((resolve, reject) => port.set({ lowLatency: true } as Parameters<SerialPortStream['set']>[0], (err) => (err ? reject(err) : resolve())));
    const status = await new Promise<{ lowLatency?: boolean }>((resolve, reject) => port.get((err, s) => (err || !s ? reject(err ?? new Error('no status')) : resolve(s as { lowLatency?: boolean }))));
    return status.lowLatency === true;
  } catch {
    return false;
  }
}

/** A real tty (a USB-serial printer, or one end of a socat pseudo-terminal pair). */
export function openSerialLine(path: string, baudRate: number): SerialLine {
  return new PortLine(path, () => new SerialPortStream({ binding: DirectIoBinding, path, baudRate, autoOpen: false, hupcl: false }));
}

/** In-process line over @serialport/binding-mock: the caller creates the mock port first. */
export function mockSerialLine(path: string, baudRate = 115200): SerialLine {
  return new PortLine(path, () => new SerialPortMock({ path, baudRate, autoOpen: false }));
}
