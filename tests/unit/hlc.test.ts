import { afterEach, describe, expect, it } from 'vitest';
import { join } from 'node:path';
import { openDatabase } from '../../shared/db.js';
import { HybridLogicalClock, compareHlc, formatHlc, parseHlc } from '../../firmware/clock/hlc.js';
import { ReceiptBuffer } from '../../firmware/buffer/receipt-buffer.js';
import { tempDir } from '../helpers/temp-dir.js';

function manualClock(start: number) {
  let t = start;
  return { now: () => t, set: (v: number) => { t = v; }, advance: (d: number) => { t += d; } };
}

const sortedStrictly = (xs: string[]) => xs.every((x, i) => i === 0 || (xs[i - 1] as string) < x);

describe('hybrid logical clock', () => {
  let dirs: { remove(): void }[] = [];
  afterEach(() => { dirs.forEach((d) => d.remove()); dirs = []; });

  it('test_hlc_monotonic: every timestamp is greater than the previous one', () => {
    const wall = manualClock(1_700_000_000_000);
    const hlc = new HybridLogicalClock({ node: 'box01', wallClock: wall.now });
    const out: string[] = [];
    for (let i = 0; i < 1000; i++) {
      if (i % 7 === 0) wall.advance(1);
      out.push(hlc.now());
    }
    expect(sortedStrictly(out)).toBe(true);
  });

  it('test_hlc_same_second: the logical counter increments while the wall clock stands still', () => {
    const wall = manualClock(1_700_000_000_000);
    const hlc = new HybridLogicalClock({ node: 'box01', wallClock: wall.now });
    const a = parseHlc(hlc.now());
    const b = parseHlc(hlc.now());
    const c = parseHlc(hlc.now());
    expect([a.counter, b.counter, c.counter]).toEqual([0, 1, 2]);
    expect(a.wall).toBe(b.wall);
    wall.advance(1);
    expect(parseHlc(hlc.now())).toMatchObject({ wall: 1_700_000_000_001, counter: 0 });
  });

  it('test_hlc_ordering: wall, then counter, then node; the text sorts the same way', () => {
    const ts = [
      { wall: 2, counter: 0, node: 'a' }, { wall: 1, counter: 5, node: 'b' }, { wall: 1, counter: 5, node: 'a' },
      { wall: 1, counter: 0, node: 'z' }, { wall: 10, counter: 0, node: 'a' }, { wall: 1, counter: 16, node: 'a' },
    ];
    const byCompare = [...ts].sort(compareHlc).map(formatHlc);
    const byText = ts.map(formatHlc).sort();
    expect(byText).toEqual(byCompare);
    expect(byCompare[0]).toBe(formatHlc({ wall: 1, counter: 0, node: 'z' }));
    expect(parseHlc(formatHlc(ts[5] as never))).toEqual(ts[5]);
  });

  it('test_hlc_thread_safe: 10,000 concurrent calls give 10,000 distinct increasing values', async () => {
    const hlc = new HybridLogicalClock({ node: 'box01' });
    const out = await Promise.all(Array.from({ length: 10_000 }, async () => {
      await Promise.resolve();
      return hlc.now();
    }));
    expect(new Set(out).size).toBe(10_000);
    expect(sortedStrictly(out)).toBe(true);
  });

  it('test_hlc_merge_remote: a remote timestamp ahead moves the clock past it', () => {
    const wall = manualClock(1_000);
    const hlc = new HybridLogicalClock({ node: 'box01', wallClock: wall.now });
    hlc.now();
    const remote = formatHlc({ wall: 5_000, counter: 7, node: 'hub' });
    const merged = hlc.update(remote);
    expect(parseHlc(merged)).toEqual({ wall: 5_000, counter: 8, node: 'box01' });
    expect(hlc.now() > merged).toBe(true);
    // A remote behind changes nothing but the counter.
    const behind = hlc.update(formatHlc({ wall: 10, counter: 0, node: 'hub' }));
    expect(behind > merged).toBe(true);
    expect(() => hlc.update('yesterday')).toThrow(/not an HLC/);
  });

  it('stays monotonic when the wall clock steps back by one hour', () => {
    const wall = manualClock(1_700_000_000_000);
    const hlc = new HybridLogicalClock({ node: 'box01', wallClock: wall.now });
    const before = hlc.now();
    wall.advance(-3_600_000);
    const after = Array.from({ length: 100 }, () => hlc.now());
    expect(after.every((t) => t > before)).toBe(true);
    expect(sortedStrictly(after)).toBe(true);
    expect(parseHlc(after[99] as string).wall).toBe(1_700_000_000_000);
    // Once the wall clock catches up, the physical part follows it again.
    wall.set(1_700_000_000_500);
    expect(parseHlc(hlc.now())).toMatchObject({ wall: 1_700_000_000_500, counter: 0 });
  });

  it('stays monotonic across a restart with the wall clock behind (high-water mark in the database)', () => {
    const dir = tempDir();
    dirs.push(dir);
    const file = join(dir.path, 'box.db');
    const wall = manualClock(1_700_000_000_000);
    const c1 = new HybridLogicalClock({ node: 'box01', wallClock: wall.now });
    const b1 = new ReceiptBuffer(openDatabase(file), { clock: c1, capacity: 10 });
    for (let i = 0; i < 5; i++) c1.now();
    const last = c1.now();
    b1.close();
    // The Pi reboots without an RTC: the wall clock is two hours behind.
    wall.set(1_700_000_000_000 - 7_200_000);
    const c2 = new HybridLogicalClock({ node: 'box01', wallClock: wall.now });
    const b2 = new ReceiptBuffer(openDatabase(file), { clock: c2, capacity: 10 });
    expect(c2.now() > last).toBe(true);
    b2.close();
  });

  it('rejects a node id that would break the text order', () => {
    expect(() => new HybridLogicalClock({ node: 'box-01' })).toThrow(/node id/);
  });
});
