// The printer line reads and writes without libuv's thread pool (direct-io-binding.ts): a
// sale must not queue behind whatever else uses the pool (file I/O, crypto, zlib, DNS), and
// a hangup must end the line rather than leave a read retrying.
import { afterEach, describe, expect, it } from 'vitest';
import { pbkdf2 } from 'node:crypto';
import { startRig, type Rig } from './rig.js';

let rig: Rig | null = null;
afterEach(async () => {
  await rig?.close();
  rig = null;
});

describe('printer line I/O off the thread pool', () => {
  it('answers a status while every thread-pool worker is busy', async () => {
    rig = await startRig();
    // Far more jobs than workers (4 by default, more if UV_THREADPOOL_SIZE says so), each
    // long: until they are done, nothing else gets a worker.
    const workers = Number(process.env.UV_THREADPOOL_SIZE ?? 4);
    let poolDone = 0;
    const jobs = Array.from({ length: workers * 2 }, () => new Promise<void>((resolve) => {
      pbkdf2('x', 'salt', 400_000, 32, 'sha512', () => {
        poolDone++;
        resolve();
      });
    }));
    const t0 = performance.now();
    const status = await rig.driver.shortStatus();
    const ms = performance.now() - t0;
    const doneWhenAnswered = poolDone;
    await Promise.all(jobs);
    const poolMs = performance.now() - t0;
    expect(status.operator).toBe(30);
    // The status went out and came back while the pool was still busy.
    expect(doneWhenAnswered).toBe(0);
    expect(ms).toBeLessThan(poolMs / 2);
  }, 60_000);

  it('ends the line as unplugged when the tty hangs up', async () => {
    rig = await startRig();
    const closed = new Promise<boolean>((resolve) => rig!.line.onClose(resolve));
    await rig.emu.unplug();
    expect(await closed).toBe(true);
    expect(rig.line.isOpen).toBe(false);
  });
});
