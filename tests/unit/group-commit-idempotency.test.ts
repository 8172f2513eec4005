import { describe, expect, it } from 'vitest';
import { GroupCommit } from '../../firmware/buffer/group-commit.js';
import { canonicalJson, fingerprint, InFlightKeys, parseIdempotencyKey } from '../../firmware/api/idempotency.js';

describe('group commit', () => {
  it('writes requests of one event-loop turn in one batch and answers each after it', async () => {
    const batches: number[][] = [];
    const gc = new GroupCommit<number, number>((xs) => { batches.push(xs); return xs.map((x) => ({ ok: true, value: x * 2 })); }, 100);
    const out = await Promise.all([1, 2, 3, 4].map((x) => gc.submit(x)));
    expect(out).toEqual([2, 4, 6, 8]);
    expect(batches).toEqual([[1, 2, 3, 4]]);
  });

  it('flushes at maxBatch and fails only the item that failed', async () => {
    const batches: number[][] = [];
    const gc = new GroupCommit<number, number>((xs) => {
      batches.push(xs);
      return xs.map((x) => (x === 3 ? { ok: false, error: new Error('three') } : { ok: true, value: x }));
    }, 2);
    const out = await Promise.allSettled([1, 2, 3, 4, 5].map((x) => gc.submit(x)));
    expect(out.map((o) => o.status)).toEqual(['fulfilled', 'fulfilled', 'rejected', 'fulfilled', 'fulfilled']);
    expect(batches).toEqual([[1, 2], [3, 4], [5]]);
  });

  it('rejects the whole batch when the commit itself fails', async () => {
    const gc = new GroupCommit<number, number>(() => { throw new Error('disk I/O error'); });
    await expect(Promise.all([gc.submit(1), gc.submit(2)])).rejects.toThrow(/disk I\/O/);
  });
});

describe('idempotency helpers', () => {
  it('fingerprints ignore key order but not values', () => {
    expect(canonicalJson({ b: 1, a: [{ y: 2, x: 1 }] })).toBe('{"a":[{"x":1,"y":2}],"b":1}');
    expect(fingerprint({ a: 1, b: 2 })).toBe(fingerprint({ b: 2, a: 1 }));
    expect(fingerprint({ a: 1 })).not.toBe(fingerprint({ a: 1.5 }));
  });

  it('accepts printable keys (quoted sf-string too) and refuses the rest', () => {
    expect(parseIdempotencyKey('8e03978e-40d5-43e8-bc93-6894a57f9324')).toBe('8e03978e-40d5-43e8-bc93-6894a57f9324');
    expect(parseIdempotencyKey('"abc"')).toBe('abc');
    for (const bad of [undefined, '', 'a b', 'x'.repeat(256), ['a', 'b']]) expect(() => parseIdempotencyKey(bad)).toThrow();
  });

  it('a claimed key gives 409 until released', () => {
    const f = new InFlightKeys();
    const release = f.claim('k');
    expect(() => f.claim('k')).toThrow(expect.objectContaining({ status: 409 }));
    release();
    expect(() => f.claim('k')).not.toThrow();
  });
});
