// Line input over any tty (a USB gadget serial port, a UART, a pseudo-terminal) with echo
// that can be switched off for the PIN. Resolves null when the line hangs up.
import { createInterface, type Interface } from 'node:readline';
import { Writable } from 'node:stream';

export class Prompt {
  private readonly rl: Interface;
  private muted = false;
  private closed = false;
  private pending: ((line: string | null) => void) | undefined;
  private readonly queue: string[] = [];

  constructor(
    input: NodeJS.ReadableStream,
    private readonly output: NodeJS.WritableStream,
    terminal: boolean,
  ) {
    // readline echoes typed characters through its output; routing that through a gate lets
    // the PIN prompt hide them while menus still echo.
    const gate = new Writable({
      write: (chunk: Buffer, _enc, cb) => {
        if (!this.muted) output.write(chunk);
        cb();
      },
    });
    Object.assign(gate, { isTTY: terminal, columns: 80, rows: 24 });
    this.rl = createInterface({ input, output: gate, terminal, historySize: 0 });
    this.rl.on('line', (line) => {
      if (this.pending) {
        const p = this.pending;
        this.pending = undefined;
        p(line);
      } else this.queue.push(line);
    });
    this.rl.on('close', () => {
      this.closed = true;
      this.pending?.(null);
      this.pending = undefined;
    });
  }

  write(text: string): void {
    // A tty's output processing (ONLCR) turns \n into \r\n itself.
    this.output.write(text);
  }

  ask(question: string, opts: { secret?: boolean } = {}): Promise<string | null> {
    this.write(question);
    const queued = this.queue.shift();
    if (queued !== undefined) return Promise.resolve(queued.trim());
    if (this.closed) return Promise.resolve(null);
    this.muted = opts.secret === true;
    return new Promise((resolve) => {
      this.pending = (line) => {
        if (this.muted) this.write('\n');
        this.muted = false;
        resolve(line === null ? null : line.trim());
      };
    });
  }

  /** Asks before anything destructive: only the exact word YES goes ahead. */
  async confirm(what: string): Promise<boolean> {
    const a = await this.ask(`${what}\nType YES to go ahead, anything else cancels: `);
    if (a === 'YES') return true;
    this.write('Cancelled, nothing changed.\n');
    return false;
  }

  close(): void {
    this.rl.close();
  }
}
