// sd_notify through systemd-notify, received on a real AF_UNIX datagram socket.
import { spawn, type ChildProcessWithoutNullStreams } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { createSdNotifier } from '../../firmware/systemd/sdNotify.js';

let dir: string;
let receiver: ChildProcessWithoutNullStreams;
let lines: string[];
let onLine: (() => void) | undefined;

beforeEach(async () => {
  dir = mkdtempSync(join(tmpdir(), 'notify-'));
  lines = [];
  receiver = spawn('python3', [join(import.meta.dirname, 'helpers/notify_receiver.py'), join(dir, 'notify')]);
  receiver.stdout.setEncoding('utf8');
  let buf = '';
  receiver.stdout.on('data', (s: string) => {
    buf += s;
    const parts = buf.split('\n');
    buf = parts.pop() ?? '';
    lines.push(...parts);
    onLine?.();
  });
  await waitFor((l) => l.includes('listening'));
});
afterEach(() => {
  receiver.kill();
  rmSync(dir, { recursive: true, force: true });
});

function waitFor(pred: (all: string[]) => boolean, timeoutMs = 10_000): Promise<void> {
  return new Promise((resolve, reject) => {
    const t = setTimeout(() => reject(new Error(`timeout; got ${JSON.stringify(lines)}`)), timeoutMs);
    const check = () => {
      if (pred(lines)) {
        clearTimeout(t);
        onLine = undefined;
        resolve();
      }
    };
    onLine = check;
    check();
  });
}

describe('sd_notify via systemd-notify', () => {
  it('sends READY with a status, and waits until the manager has read it', async () => {
    const n = createSdNotifier({ ...process.env, NOTIFY_SOCKET: join(dir, 'notify') });
    expect(n.enabled).toBe(true);
    await n.ready('listening on 127.0.0.1:8000');
    expect(lines).toContainEqual(expect.stringMatching(/READY=1\|STATUS=listening on 127\.0\.0\.1:8000/));
  });

  it('pings the watchdog at half of WATCHDOG_USEC while healthy, and stops when not', async () => {
    let healthy = true;
    const n = createSdNotifier({ ...process.env, NOTIFY_SOCKET: join(dir, 'notify'), WATCHDOG_USEC: '400000', WATCHDOG_PID: String(process.pid) });
    expect(n.watchdogIntervalMs).toBe(200);
    n.startWatchdog(() => healthy);
    await waitFor((l) => l.filter((x) => x.startsWith('WATCHDOG=1')).length >= 2);
    healthy = false;
    const count = lines.filter((x) => x.startsWith('WATCHDOG=1')).length;
    await new Promise((r) => setTimeout(r, 800));
    n.stopWatchdog();
    // at most one ping that was already in flight when health turned bad
    expect(lines.filter((x) => x.startsWith('WATCHDOG=1')).length).toBeLessThanOrEqual(count + 1);
  });

  it('is a no-op outside systemd and for a watchdog meant for another process', async () => {
    const off = createSdNotifier({});
    expect(off.enabled).toBe(false);
    await off.ready();
    const other = createSdNotifier({ NOTIFY_SOCKET: join(dir, 'notify'), WATCHDOG_USEC: '400000', WATCHDOG_PID: '1' });
    expect(other.watchdogIntervalMs).toBeUndefined();
  });
});
