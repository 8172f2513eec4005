// The emulator keeps its modeled pace: a Node timer that fires late (a busy machine) makes the
// device late once, and the next execution wait pays it back, as a real printer's own clock
// would not have slipped. Without this, bench:print counted the emulator's lateness as the
// box's overhead.
import { afterEach, describe, expect, it } from 'vitest';
import { sale, startRig, type Rig } from './rig.js';

let rig: Rig | null = null;
const realSetTimeout = globalThis.setTimeout;
afterEach(async () => {
  globalThis.setTimeout = realSetTimeout;
  await rig?.close();
  rig = null;
});

/** Makes the next timer the emulator's link schedules fire `lateMs` late. */
function delayNextLinkTimer(lateMs: number): { fired: () => boolean } {
  let done = false;
  globalThis.setTimeout = ((fn: () => void, ms?: number) => {
    if (!done && (ms ?? 0) >= 1 && /DeviceLink\.at \(/.test(new Error().stack ?? '')) {
      done = true;
      globalThis.setTimeout = realSetTimeout;
      return realSetTimeout(fn, (ms ?? 0) + lateMs);
    }
    return realSetTimeout(fn, ms);
  }) as typeof setTimeout;
  return { fired: () => done };
}

describe('emulator timing', () => {
  it('pays back a late timer in the next execution wait, so a receipt takes its modeled time', async () => {
    rig = await startRig({ memory: true, emulator: { fnDocMs: 120, printLineMs: 0 } });
    await rig.print(sale(1000));
    const before = { ...rig.emu.link.stats };
    const late = delayNextLinkTimer(60);
    const t0 = performance.now();
    await rig.print(sale(2000));
    const elapsed = performance.now() - t0;
    const modeled = rig.emu.link.stats.deviceMs - before.deviceMs;
    expect(late.fired()).toBe(true);
    // 60 ms were lost early in the receipt; the 120 ms FN write was shortened by them. What is
    // left is the host side in memory (a few ms), far below the 60 ms injected.
    expect(elapsed - modeled).toBeLessThan(30);
    expect(elapsed).toBeGreaterThan(modeled - 5);
  });
});
