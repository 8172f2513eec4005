// Runs a program on a real pseudo-terminal, the way agetty runs the console on a serial line:
// socat allocates the pty, makes it the child's controlling terminal, and relays between its
// master side and our pipes. The test types lines ending in CR, as a terminal does.
import { spawn, type ChildProcessWithoutNullStreams } from 'node:child_process';

export class PtySession {
  readonly child: ChildProcessWithoutNullStreams;
  private buf = '';
  private waiters: (() => void)[] = [];
  readonly exited: Promise<number | null>;

  constructor(command: string, env: NodeJS.ProcessEnv) {
    this.child = spawn('socat', ['-', `EXEC:${command},pty,setsid,ctty,stderr,sane`], { env });
    this.child.stdout.setEncoding('utf8');
    this.child.stdout.on('data', (s: string) => {
      this.buf += s;
      for (const w of this.waiters.splice(0)) w();
    });
    this.child.stderr.on('data', (s: Buffer) => {
      this.buf += s.toString();
    });
    this.exited = new Promise((resolve) => this.child.on('exit', (code) => resolve(code)));
  }

  /** Everything printed so far, with terminal control sequences and CRs removed. */
  get screen(): string {
    // eslint-disable-next-line no-control-regex
    return this.buf.replace(/\x1b\[[0-9;?]*[A-Za-z]/g, '').replace(/\r/g, '');
  }

  /** Waits until the output, from `from` on, matches. Returns the index after the match. */
  async waitFor(re: RegExp, from = 0, timeoutMs = 15_000): Promise<number> {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const s = this.screen.slice(from);
      const m = re.exec(s);
      if (m) return from + m.index + m[0].length;
      const left = deadline - Date.now();
      if (left <= 0) throw new Error(`timed out waiting for ${re} in:\n${this.screen.slice(from)}`);
      await new Promise<void>((resolve) => {
        const t = setTimeout(resolve, left);
        this.waiters.push(() => {
          clearTimeout(t);
          resolve();
        });
      });
    }
  }

  /** Types a line and waits for the next prompt matching `until`; returns what appeared in between. */
  async type(line: string, until: RegExp = /Choice: $/): Promise<string> {
    const from = this.screen.length;
    this.child.stdin.write(`${line}\r`);
    const end = await this.waitFor(until, from);
    return this.screen.slice(from, end);
  }

  kill(): void {
    this.child.kill('SIGTERM');
  }
}
