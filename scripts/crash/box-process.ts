// One box service as a child process (tsx firmware/main.ts <config>), as systemd runs it:
// started, waited for until it listens, killed with SIGKILL or stopped with SIGTERM.
import { spawn, type ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import { createInterface } from 'node:readline';

const MAIN = new URL('../../firmware/main.ts', import.meta.url).pathname;

export class BoxProcess {
  private child: ChildProcess | null = null;
  private exited: Promise<[number | null, NodeJS.Signals | null]> | null = null;
  /** Log lines at warn and above are appended to `warnings` (shared across restarts). */
  constructor(private readonly configFile: string, private readonly warnings: string[] = []) {}

  /** Starts the box; resolves with its URL once it listens (rejects if it dies first). */
  async start(timeoutMs = 30_000): Promise<string> {
    const child = spawn(process.execPath, ['--import', 'tsx', MAIN, this.configFile], {
      env: { PATH: process.env.PATH ?? '', NODE_ENV: 'production' }, stdio: ['ignore', 'pipe', 'pipe'],
    });
    this.child = child;
    this.exited = once(child, 'exit') as Promise<[number | null, NodeJS.Signals | null]>;
    let stderr = '';
    child.stderr?.on('data', (d: Buffer) => { stderr += d.toString(); });
    return new Promise<string>((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`box did not listen within ${timeoutMs} ms`)), timeoutMs);
      createInterface({ input: child.stdout! }).on('line', (line) => {
        let m: { msg?: string; url?: string; level?: number };
        try {
          m = JSON.parse(line) as typeof m;
        } catch {
          return;
        }
        if ((m.level ?? 0) >= 40) this.warnings.push(line);
        if (m.msg === 'box LAN API listening' && m.url) {
          clearTimeout(timer);
          resolve(m.url);
        }
      });
      void this.exited?.then(([code, signal]) => {
        clearTimeout(timer);
        reject(new Error(`box exited before listening (code ${String(code)}, signal ${String(signal)}): ${stderr.slice(-2000)}`));
      });
    });
  }

  /** The power cut: no shutdown code runs. */
  async kill(): Promise<void> {
    this.child?.kill('SIGKILL');
    await this.exited;
  }

  /** systemd's stop; resolves with the exit code. */
  async terminate(): Promise<number | null> {
    this.child?.kill('SIGTERM');
    const [code] = (await this.exited) ?? [null];
    return code;
  }
}
