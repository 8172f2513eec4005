// A real Mosquitto broker (Debian package) on a free loopback port, with a password file
// and an ACL equivalent to the embedded broker's rules.
import { execFileSync, spawn, type ChildProcess } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { connect } from 'node:net';
import { join } from 'node:path';
import { freePort } from './hub-process.js';

export interface Mosquitto { port: number; url: string; stop(): Promise<void> }

export async function startMosquitto(dir: string, users: [string, string][]): Promise<Mosquitto> {
  const port = await freePort();
  const pw = join(dir, 'passwd');
  writeFileSync(pw, '');
  for (const [u, p] of users) execFileSync('mosquitto_passwd', ['-b', pw, u, p]);
  const acl = join(dir, 'acl');
  writeFileSync(acl, [
    'user _hub', 'topic readwrite kkt/v1/#', '',
    'pattern write kkt/v1/+/%u/receipt', 'pattern write kkt/v1/+/%u/heartbeat', 'pattern readwrite kkt/v1/+/%u/status',
    'pattern readwrite kkt/v1/+/%u/power', 'pattern read kkt/v1/+/%u/ack', 'pattern read kkt/v1/+/%u/cmd/#', 'pattern read kkt/v1/_hub/status', '',
  ].join('\n'));
  const conf = join(dir, 'mosquitto.conf');
  writeFileSync(conf, [
    `listener ${port} 127.0.0.1`, 'allow_anonymous false', `password_file ${pw}`, `acl_file ${acl}`,
    'persistence false', 'user root', 'log_dest stderr', 'log_type error', '',
  ].join('\n'));
  const child: ChildProcess = spawn('mosquitto', ['-c', conf], { stdio: ['ignore', 'ignore', 'pipe'] });
  let stderr = '';
  child.stderr?.on('data', (d: Buffer) => { stderr += d.toString(); });
  const exited = new Promise<void>((r) => child.once('exit', () => r()));
  const end = Date.now() + 10_000;
  for (;;) {
    const ok = await new Promise<boolean>((resolve) => {
      const s = connect(port, '127.0.0.1', () => { s.destroy(); resolve(true); });
      s.once('error', () => resolve(false));
    });
    if (ok) break;
    if (Date.now() > end || child.exitCode !== null) throw new Error(`mosquitto did not start: ${stderr}`);
    await new Promise((r) => setTimeout(r, 50));
  }
  return { port, url: `mqtt://127.0.0.1:${port}`, async stop() { child.kill('SIGTERM'); await exited; } };
}
