// Seed W4.1 on the hub side: forwarding pending documents, HLC order per box, backoff
// schedule, DLQ after 20 attempts, re-drive, and an open breaker skipping work.
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { backoffDelay, DEFAULT_OFD_POLICY } from '../../hub/ofd/policies.js';
import { makeDocument } from '../support/documents.js';
import { forwarderFixture } from '../support/forwarder-fixture.js';

describe('OFD forwarder (seed W4.1)', () => {
  let fx: ReturnType<typeof forwarderFixture>;
  beforeEach(() => {
    vi.useFakeTimers({ now: new Date('2026-11-25T10:00:00Z') });
    // A breaker that never opens isolates the retry schedule in these tests.
    fx = forwarderFixture({ breakerFailures: 1000 });
    fx.fwd.start();
  });
  afterEach(async () => {
    await fx.close();
    vi.useRealTimers();
  });

  it('test_sync_pending_receipts: every pending document is forwarded once and confirmed', async () => {
    const docs = Array.from({ length: 20 }, (_, i) => makeDocument({ box: `b${i % 3}` }));
    fx.add(docs);
    await vi.advanceTimersByTimeAsync(50);
    expect(fx.store.counts()).toMatchObject({ confirmed: 20, pending: 0 });
    expect(new Set(fx.ofd.calls.map((c) => c.receipt_id)).size).toBe(20);
    expect(fx.ofd.calls).toHaveLength(20);
  });

  it('keeps each box\'s HLC order even when documents arrive out of order', async () => {
    const hlcs = ['000000000000005:00000:b', '000000000000001:00000:b', '000000000000003:00002:b', '000000000000003:00001:b'];
    fx.add(hlcs.map((hlc) => makeDocument({ box: 'bx', hlc })));
    await vi.advanceTimersByTimeAsync(50);
    expect(fx.ofd.calls.map((c) => c.hlc)).toEqual([...hlcs].sort());
  });

  it('test_exponential_backoff: 1 s, 2 s, 4 s ... capped at 60 s between attempts', async () => {
    expect(Array.from({ length: 9 }, (_, i) => backoffDelay(DEFAULT_OFD_POLICY, i + 1)))
      .toEqual([1000, 2000, 4000, 8000, 16000, 32000, 60000, 60000, 60000]);
    fx.ofd.set('fail');
    fx.add([makeDocument()]);
    await vi.advanceTimersByTimeAsync(10 * 60_000);
    const gaps = fx.ofd.calls.slice(1).map((c, i) => c.at - fx.ofd.calls[i]!.at);
    expect(gaps.slice(0, 8)).toEqual([1000, 2000, 4000, 8000, 16000, 32000, 60000, 60000]);
  });

  it('test_move_to_dlq_after_20: the 20th failure moves the document to the DLQ; re-drive sends it again', async () => {
    fx.ofd.set('fail');
    const doc = makeDocument();
    const next = makeDocument({ box: doc.box_id });
    fx.add([doc, next]);
    await vi.advanceTimersByTimeAsync(30 * 60_000);
    const d = fx.store.get(doc.receipt_id);
    expect(d).toMatchObject({ ofd_status: 'dead', attempts: 20 });
    expect(d?.last_error).toMatch(/20 failed attempts/);
    expect(fx.ofd.calls.filter((c) => c.receipt_id === doc.receipt_id)).toHaveLength(20);
    // The box's next document was not sent before its head was settled.
    const firstNext = fx.ofd.calls.findIndex((c) => c.receipt_id === next.receipt_id);
    expect(firstNext).toBe(20);
    fx.ofd.set('ok');
    expect(fx.store.redrive([doc.receipt_id])).toEqual([doc.receipt_id]);
    fx.fwd.wake();
    await vi.advanceTimersByTimeAsync(120_000);
    expect(fx.store.get(doc.receipt_id)?.ofd_status).toBe('confirmed');
  });

  it('test_cb_open_skips_sync: while the breaker is open no document is sent', async () => {
    const f2 = forwarderFixture({ concurrency: 1 });
    f2.fwd.start();
    f2.ofd.set('fail');
    f2.add(Array.from({ length: 10 }, (_, i) => makeDocument({ box: `c${i}` })));
    await vi.advanceTimersByTimeAsync(30_000);
    expect(f2.fwd.breakerState).toBe('open');
    expect(f2.ofd.calls).toHaveLength(5);
    expect(f2.store.counts().pending).toBe(10);
    await f2.close();
  });
});
