// UAT-10c (seed: "Восстановление после power loss (WAL test)"): the box process is killed
// with SIGKILL (what a power cut does to it) while POS clients are selling on the Shtrih-M
// emulator, and restarted, a few times; every acknowledged receipt survives in the WAL
// database exactly once, and every fiscal document in the FN belongs to one printed receipt.
// `npm run crash-test -- --cycles 1000` runs the same harness long.
import { describe, expect, it } from 'vitest';
import { rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { runCrashCycles } from '../../scripts/crash/crash-harness.js';

describe('UAT-10c: recovery after power loss (WAL)', () => {
  it('test_uat_10c_power_loss: 4 SIGKILLs under 3 concurrent POS clients lose, duplicate and reprint nothing', async () => {
    const dir = join(tmpdir(), `uat10c-${process.pid}-${Date.now()}`);
    try {
      const r = await runCrashCycles({ printer: true, cycles: 4, clients: 3, minUpMs: 300, maxUpMs: 900, seed: 10_3, dir });
      expect(r.acknowledged).toBeGreaterThan(3);
      expect(r).toMatchObject({
        cycles: 4, lost: 0, duplicated: 0, unexpected: 0, integrity: 'ok', corrupt_set_aside: 0, final_exit_code: 0,
        fiscal_unknown: 0, acknowledged_not_printed: 0,
      });
      expect(r.fiscal_documents).toBe(r.acknowledged); // each sale fiscalised exactly once
      expect(r.retries).toBeGreaterThan(0); // the kills really cut requests in flight
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  }, 120_000);
});
