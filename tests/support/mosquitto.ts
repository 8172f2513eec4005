// A real Mosquitto broker (Debian package) on a free loopback port, with a password file
// and an ACL equivalent to the embedded broker's rules.
import { execFileSync, spawn, type ChildProcess } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { onFreePort } from './hub-process.js';

export interface Mosquitto { port: number; url: string; stop(): Promise<void> }

export async function startMosquitto(dir: string, users: [string, string][]): Promise<Mosquitto> {
  const pw = join(dir, 'passwd');
  writeFileSync(pw, '');
  for (const [u, p] of users) execFileSync('mosquitto_passwd', ['-b', pw, u, p]);
  const acl = join(dir, 'acl');
  writeFileSync(acl, [
    'user _hub', 'topic readwrite kkt/v1/#', '',
    'pattern write kkt/v1/+/%u/receipt', 'pattern write kkt/v1/+/%u/heartbeat', 'pattern readwrite kkt/v1/+/%u/status',
    'pattern readwrite kkt/v1/+/%u/power', 'pattern read kkt/v1/+/%u/ack', 'pattern read kkt/v1/+/%u/cmd/#', 'pattern read kkt/v1/_hub/status', '',
  ].join('\n'));
  return onFreePort(async (port) => {
    const conf = join(dir, 'mosquitto.conf');
    // log_type information: for the "running" line, logged once every listener is bound.
    writeFileSync(conf, [
      `listener ${port} 127.0.0.1`, 'allow_anonymous false', `password_file ${pw}`, `acl_file ${acl}`,
      'persistence false', 'user root', 'log_dest stderr', 'log_type error', 'log_type information', '',
    ].join('\n'));
    const child: ChildProcess = spawn('mosquitto', ['-c', conf], { stdio: ['ignore', 'ignore', 'pipe'] });
    let stderr = '';
    const exited = new Promise<void>((r) => child.once('exit', () => r()));
    // Ready when mosquitto says so, not when the port accepts a connection: that could be
    // whoever took the port after freePort() picked it.
    await new Promise<void>((resolve, reject) => {
      const timer = setTimeout(() => { child.kill('SIGTERM'); reject(new Error(`mosquitto did not start: ${stderr}`)); }, 10_000);
      child.stderr?.on('data', (d: Buffer) => {
        stderr = (stderr + d.toString()).slice(-4000);
        if (/mosquitto version \S+ running/.test(stderr)) { clearTimeout(timer); resolve(); }
      });
      child.once('error', (err) => { clearTimeout(timer); reject(err); });
      child.once('close', () => {
        clearTimeout(timer);
        const e: NodeJS.ErrnoException = new Error(`mosquitto exited before listening: ${stderr}`);
        if (/Address already in use/.test(stderr)) e.code = 'EADDRINUSE'; // onFreePort tries another port
        reject(e);
      });
    });
    return { port, url: `mqtt://127.0.0.1:${port}`, async stop() { child.kill('SIGTERM'); await exited; } };
  });
}
