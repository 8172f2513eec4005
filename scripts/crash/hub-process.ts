// The hub (embedded broker + ingest + OFD forwarder) as a child process, started with HUB_*
// env like production, so the crash harness and the restart tests can SIGKILL it in the middle
// of forwarding.
import { appendFileSync } from 'node:fs';
import { spawn, type ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import { createServer, type AddressInfo } from 'node:net';

const MAIN = new URL('../../hub/main.ts', import.meta.url).pathname;

/** A free TCP port on loopback: the broker keeps one port across restarts (the box's URL). */
export async function freePort(): Promise<number> {
  const s = createServer();
  await new Promise<void>((r) => s.listen(0, '127.0.0.1', () => r()));
  const port = (s.address() as AddressInfo).port;
  await new Promise<void>((r) => s.close(() => r()));
  return port;
}

/**
 * Runs `start` on a free port, and on another one if something took it between the pick and
 * the listen (EADDRINUSE): freePort() can only say a port was free a moment ago.
 */
export async function onFreePort<T>(start: (port: number) => Promise<T>, attempts = 3): Promise<T> {
  for (let i = 1; ; i++) {
    try {
      return await start(await freePort());
    } catch (err) {
      if (i >= attempts || (err as NodeJS.ErrnoException).code !== 'EADDRINUSE') throw err;
    }
  }
}

/**
 * Runs `start` again on the port a restarted server must keep (its clients know only that
 * address). While it was down, anything on the machine may have bound that port for a moment
 * (another test's freePort() probe, an outgoing connection's ephemeral local port), so
 * EADDRINUSE is retried after a short pause; any other error, or a port still taken after
 * `attempts`, is thrown.
 */
export async function onSamePort<T>(start: () => Promise<T>, attempts = 50, pauseMs = 100): Promise<T> {
  for (let i = 1; ; i++) {
    try {
      return await start();
    } catch (err) {
      if (i >= attempts || (err as NodeJS.ErrnoException).code !== 'EADDRINUSE') throw err;
      await new Promise((r) => setTimeout(r, pauseMs));
    }
  }
}

export interface HubProcessOptions {
  /** Pass this process's whole environment on (tests); otherwise only PATH, as a unit would. */
  inheritEnv?: boolean;
  /** Appends the child's stdout and stderr here (post-mortem of a failed run). */
  logFile?: string;
}

export class HubProcess {
  private child: ChildProcess | null = null;
  private exited: Promise<[number | null, NodeJS.Signals | null]> | null = null;
  httpUrl = '';
  mqttUrl = '';

  constructor(private readonly env: Record<string, string>, private readonly opts: HubProcessOptions = {}) {}

  /** Starts the hub; resolves with its MQTT URL once broker and HTTP listen. */
  async start(timeoutMs = 30_000): Promise<string> {
    const base = this.opts.inheritEnv ? process.env : { PATH: process.env.PATH ?? '' };
    const child = spawn(process.execPath, ['--import', 'tsx', MAIN], {
      env: { ...base, NODE_ENV: 'production', LOG_LEVEL: 'warn', ...this.env },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    this.child = child;
    this.exited = once(child, 'exit') as Promise<[number | null, NodeJS.Signals | null]>;
    // 'exit' can come before the end of stderr, where the reason for a failed start is.
    const closed = once(child, 'close') as Promise<[number | null, NodeJS.Signals | null]>;
    const logFile = this.opts.logFile;
    if (logFile) {
      child.stdout?.on('data', (d: Buffer) => appendFileSync(logFile, d));
      child.stderr?.on('data', (d: Buffer) => appendFileSync(logFile, d));
    }
    let out = '';
    let err = '';
    child.stderr?.on('data', (d: Buffer) => { err = (err + d.toString()).slice(-4000); });
    return new Promise<string>((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`hub did not start within ${timeoutMs} ms: ${out.slice(-2000)}${err}`)), timeoutMs);
      const onData = (d: Buffer) => {
        out = (out + d.toString()).slice(-8000);
        const m = /hub: http (\S+)\s+mqtt (\S+)/.exec(out);
        if (m) {
          clearTimeout(timer);
          child.stdout?.off('data', onData);
          child.stdout?.resume(); // keep draining the pipe (warn logs)
          this.httpUrl = m[1]!;
          this.mqttUrl = m[2]!;
          resolve(this.mqttUrl);
        }
      };
      child.stdout?.on('data', onData);
      void closed.then(([code, signal]) => {
        clearTimeout(timer);
        const e: NodeJS.ErrnoException = new Error(`hub exited before listening (code ${String(code)}, signal ${String(signal)}): ${out.slice(-2000)}${err}`);
        // The child's port was taken after the caller picked it: lets onFreePort() try another.
        if (/listen EADDRINUSE/.test(err)) e.code = 'EADDRINUSE';
        reject(e);
      }, reject);
    });
  }

  /** kill -9: no shutdown code runs in the hub or its broker. */
  async kill(): Promise<void> {
    this.child?.kill('SIGKILL');
    await this.exited;
  }

  async terminate(): Promise<number | null> {
    if (!this.child || this.child.exitCode !== null || this.child.signalCode !== null) return this.child?.exitCode ?? null;
    this.child.kill('SIGTERM');
    const [code] = (await this.exited) ?? [null];
    return code;
  }
}
