// Two in-process SerialLines wired to each other: the fast variant for unit tests that do
// not need a real tty (the same code also runs over a real socat PTY in the slower tests).
import type { SerialLine } from '../../firmware/printer/serial-line.js';

class MemoryEnd implements SerialLine {
  peer: MemoryEnd | null = null;
  private open_ = false;
  private readonly dataCbs: ((b: Buffer) => void)[] = [];
  private readonly closeCbs: ((d: boolean) => void)[] = [];
  constructor(readonly path: string) {}
  get isOpen(): boolean {
    return this.open_;
  }
  async open(): Promise<void> {
    this.open_ = true;
  }
  async write(bytes: Buffer): Promise<void> {
    if (!this.open_) throw new Error(`${this.path} is not open`);
    const peer = this.peer;
    const copy = Buffer.from(bytes);
    setImmediate(() => {
      if (peer?.open_) peer.dataCbs.forEach((cb) => cb(copy));
    });
  }
  async close(): Promise<void> {
    this.drop(false);
  }
  /** Both ends vanish, as on an unplug. */
  drop(disconnected: boolean): void {
    if (!this.open_) return;
    this.open_ = false;
    this.closeCbs.forEach((cb) => cb(disconnected));
  }
  onData(cb: (b: Buffer) => void): void {
    this.dataCbs.push(cb);
  }
  onClose(cb: (d: boolean) => void): void {
    this.closeCbs.push(cb);
  }
}

export function memoryPair(): { device: SerialLine; host: SerialLine; unplug: () => void } {
  const a = new MemoryEnd('mem:device');
  const b = new MemoryEnd('mem:host');
  a.peer = b;
  b.peer = a;
  return { device: a, host: b, unplug: () => (a.drop(true), b.drop(true)) };
}
