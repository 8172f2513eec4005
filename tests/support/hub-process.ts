// The hub as a real child process (for kill -9), started with HUB_* env like production.
import { spawn, type ChildProcess } from 'node:child_process';
// One free-port helper for tests and the crash harness.
export { freePort } from '../../scripts/crash/hub-process.js';

export interface HubProcess { child: ChildProcess; httpUrl: string; mqttUrl: string; kill9(): Promise<void>; stop(): Promise<void> }

export async function startHubProcess(env: Record<string, string>): Promise<HubProcess> {
  const child = spawn(process.execPath, ['--import', 'tsx', 'hub/main.ts'], {
    env: { ...process.env, LOG_LEVEL: process.env.TEST_HUB_LOG ? 'debug' : 'warn', ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let out = '';
  let err = '';
  child.stderr?.on('data', (d: Buffer) => { err += d.toString(); });
  // TEST_HUB_LOG=file keeps the child's logs for a post-mortem of a failed run.
  if (process.env.TEST_HUB_LOG) {
    const { appendFileSync } = await import('node:fs');
    const file = process.env.TEST_HUB_LOG;
    child.stdout?.on('data', (d: Buffer) => appendFileSync(file, d));
    child.stderr?.on('data', (d: Buffer) => appendFileSync(file, d));
  }
  const urls = await new Promise<{ http: string; mqtt: string }>((resolve, reject) => {
    const t = setTimeout(() => reject(new Error(`hub did not start in time: ${out}${err}`)), 20_000);
    child.stdout?.on('data', (d: Buffer) => {
      out += d.toString();
      const m = /hub: http (\S+)\s+mqtt (\S+)/.exec(out);
      if (m) { clearTimeout(t); resolve({ http: m[1]!, mqtt: m[2]! }); }
    });
    child.once('exit', (code) => { clearTimeout(t); reject(new Error(`hub exited ${code}: ${out}${err}`)); });
  });
  const exited = new Promise<void>((r) => child.once('exit', () => r()));
  return {
    child, httpUrl: urls.http, mqttUrl: urls.mqtt,
    async kill9() { child.kill('SIGKILL'); await exited; },
    async stop() { if (child.exitCode === null && child.signalCode === null) { child.kill('SIGTERM'); await exited; } },
  };
}
