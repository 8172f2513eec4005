// Seed W3.1: the OFD circuit breaker, driven through the forwarder with fake timers.
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { makeDocument } from '../support/documents.js';
import { forwarderFixture } from '../support/forwarder-fixture.js';

type Fx = ReturnType<typeof forwarderFixture>;

/** Documents from distinct boxes so each failure is a separate head (no per-box backoff wait). */
const docs = (n: number, prefix = 'b') => Array.from({ length: n }, (_, i) => makeDocument({ box: `${prefix}${i}` }));

async function metric(fx: Fx, name: string): Promise<number> {
  const m = (await fx.metrics.registry.getMetricsAsJSON()).find((x) => x.name === name);
  return Number(m?.values[0]?.value ?? NaN);
}

describe('OFD circuit breaker (seed W3.1)', () => {
  let fx: Fx;
  beforeEach(() => {
    vi.useFakeTimers({ now: new Date('2026-11-25T10:00:00Z') });
    fx = forwarderFixture({ concurrency: 1 });
    fx.fwd.start();
  });
  afterEach(async () => {
    await fx.close();
    vi.useRealTimers();
  });

  it('test_cb_closed_normal: a closed breaker passes requests', async () => {
    fx.add(docs(3));
    await vi.advanceTimersByTimeAsync(10);
    expect(fx.ofd.calls).toHaveLength(3);
    expect(fx.store.counts().confirmed).toBe(3);
    expect(fx.fwd.breakerState).toBe('closed');
  });

  it('test_cb_opens_after_5_failures: five consecutive failures open it and stop calls', async () => {
    fx.ofd.set('fail');
    fx.add(docs(8));
    await vi.advanceTimersByTimeAsync(10);
    expect(fx.ofd.calls).toHaveLength(5);
    expect(fx.fwd.breakerState).toBe('open');
    await vi.advanceTimersByTimeAsync(59_000);
    expect(fx.ofd.calls).toHaveLength(5);
    expect(fx.store.counts().pending).toBe(8);
  });

  it('test_cb_half_open_recovery: half-open after 60 s, two successful probes close it', async () => {
    fx.ofd.set('fail');
    fx.add(docs(7));
    await vi.advanceTimersByTimeAsync(10);
    expect(fx.fwd.breakerState).toBe('open');
    fx.ofd.set('ok');
    const states: string[] = [];
    fx.fwd.on('breaker', (s) => states.push(s));
    await vi.advanceTimersByTimeAsync(60_000);
    expect(states.slice(0, 2)).toEqual(['half_open', 'closed']);
    await vi.advanceTimersByTimeAsync(10);
    expect(fx.store.counts()).toMatchObject({ confirmed: 7, pending: 0 });
  });

  it('test_cb_reopens_on_failure: a failed probe reopens it for another 60 s', async () => {
    fx.ofd.set('fail');
    fx.add(docs(6));
    await vi.advanceTimersByTimeAsync(10);
    const before = fx.ofd.calls.length;
    await vi.advanceTimersByTimeAsync(60_000);
    expect(fx.ofd.calls.length).toBe(before + 1);
    expect(fx.fwd.breakerState).toBe('open');
    await vi.advanceTimersByTimeAsync(59_000);
    expect(fx.ofd.calls.length).toBe(before + 1);
  });

  it('test_cb_metrics: state gauge and opens counter follow the breaker', async () => {
    expect(await metric(fx, 'hub_ofd_breaker_state')).toBe(0);
    fx.ofd.set('fail');
    fx.add(docs(5));
    await vi.advanceTimersByTimeAsync(10);
    expect(await metric(fx, 'hub_ofd_breaker_state')).toBe(1);
    expect(await metric(fx, 'hub_ofd_breaker_opens_total')).toBe(1);
    fx.ofd.set('ok');
    await vi.advanceTimersByTimeAsync(60_000);
    expect(await metric(fx, 'hub_ofd_breaker_state')).toBe(0);
  });

  it('a rejected document goes to the DLQ without counting against the OFD', async () => {
    fx.ofd.set('reject');
    fx.add(docs(6));
    await vi.advanceTimersByTimeAsync(10);
    expect(fx.fwd.breakerState).toBe('closed');
    expect(fx.store.counts().dead).toBe(6);
  });

  it('a request that never answers times out and counts as a failure', async () => {
    fx.ofd.set('hang');
    fx.add(docs(1));
    await vi.advanceTimersByTimeAsync(10_001);
    expect(fx.store.get(fx.ofd.calls[0]!.receipt_id)).toMatchObject({ attempts: 1, last_error: expect.stringMatching(/did not answer within 10000 ms/) });
  });
});
