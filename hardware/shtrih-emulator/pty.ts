// A pseudo-terminal pair made by socat: one end for the emulator, the other (a stable
// symlink) for the driver, which opens it exactly as it opens /dev/kkt. Killing socat is an
// honest "unplug": both ttys vanish and the driver's port reports the loss.
import { spawn, type ChildProcess } from 'node:child_process';

export class PtyPair {
  private proc: ChildProcess | null = null;

  constructor(readonly deviceLink: string, readonly hostLink: string) {}

  get running(): boolean {
    return this.proc !== null && this.proc.exitCode === null;
  }

  async start(timeoutMs = 5000): Promise<void> {
    if (this.running) return;
    const proc = spawn('socat', ['-d', '-d', `pty,raw,echo=0,link=${this.deviceLink}`, `pty,raw,echo=0,link=${this.hostLink}`], { stdio: ['ignore', 'ignore', 'pipe'] });
    this.proc = proc;
    await new Promise<void>((resolve, reject) => {
      let err = '';
      const t = setTimeout(() => reject(new Error(`socat did not start in ${timeoutMs} ms: ${err}`)), timeoutMs);
      proc.on('error', (e) => {
        clearTimeout(t);
        reject(new Error(`cannot run socat (apt-get install socat): ${e.message}`));
      });
      proc.on('exit', (code) => {
        clearTimeout(t);
        reject(new Error(`socat exited with ${code}: ${err}`));
      });
      proc.stderr?.on('data', (d: Buffer) => {
        err += d.toString();
        if (err.includes('starting data transfer loop')) {
          clearTimeout(t);
          resolve();
        }
      });
    });
  }

  async stop(): Promise<void> {
    const proc = this.proc;
    this.proc = null;
    if (!proc || proc.exitCode !== null || proc.signalCode !== null) return;
    await new Promise<void>((resolve) => {
      proc.once('exit', () => resolve());
      proc.kill('SIGTERM');
    });
  }
}
