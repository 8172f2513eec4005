// UAT-10c (seed: "Восстановление после power loss (WAL test)"): the box process is killed
// with SIGKILL (what a power cut does to it) while POS clients are selling, and restarted,
// a few times; every acknowledged receipt survives in the WAL database exactly once.
// `npm run crash-test -- --cycles 1000` runs the same harness long.
import { describe, expect, it } from 'vitest';
import { rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { runCrashCycles } from '../../scripts/crash/crash-harness.js';

describe('UAT-10c: recovery after power loss (WAL)', () => {
  it('test_uat_10c_power_loss: 3 SIGKILLs under 3 concurrent POS clients lose and duplicate nothing', async () => {
    const dir = join(tmpdir(), `uat10c-${process.pid}-${Date.now()}`);
    try {
      const r = await runCrashCycles({ cycles: 3, clients: 3, minUpMs: 200, maxUpMs: 600, seed: 10_3, dir });
      expect(r.acknowledged).toBeGreaterThan(10);
      expect(r).toMatchObject({ cycles: 3, lost: 0, duplicated: 0, unexpected: 0, integrity: 'ok', corrupt_set_aside: 0, final_exit_code: 0 });
      expect(r.retries).toBeGreaterThan(0); // the kills really cut requests in flight
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  }, 120_000);
});
