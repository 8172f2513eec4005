// The uplink contract shared by box and hub: topic tree, payload schemas, ACL rules.
import { describe, expect, it } from 'vitest';
import { mayPublish, maySubscribe, mayUseClientId } from '../../hub/broker/acl.js';
import type { Principal } from '../../hub/broker/box-registry.js';
import { ackMessage, encodePayload, heartbeatMessage, parsePayload, receiptMessage } from '../../shared/mqtt/messages.js';
import { boxTopics, HUB_STATUS_TOPIC, parseBoxTopic } from '../../shared/mqtt/topics.js';
import { makeDocument } from '../support/documents.js';

describe('topic tree', () => {
  it('builds and parses a box\'s topics', () => {
    const t = boxTopics({ store: 'msk-01', box: 'kkt-7' });
    expect(t.receipt).toBe('kkt/v1/msk-01/kkt-7/receipt');
    expect(t.cmd('sync')).toBe('kkt/v1/msk-01/kkt-7/cmd/sync');
    expect(parseBoxTopic(t.cmd('sync'))).toEqual({ store: 'msk-01', box: 'kkt-7', kind: 'cmd', rest: ['sync'] });
    expect(parseBoxTopic('kkt/v2/a/b/receipt')).toBeNull();
    expect(parseBoxTopic(HUB_STATUS_TOPIC)).toBeNull();
  });

  it('refuses ids that would break the tree or collide with the hub', () => {
    for (const bad of ['a/b', '+', '#', '_hub', '', 'x'.repeat(65), '$SYS']) {
      expect(() => boxTopics({ store: bad, box: 'b' }), bad).toThrow(/invalid/);
    }
  });
});

describe('payload schemas', () => {
  it('a valid document round-trips through encode/parse', () => {
    const doc = makeDocument();
    const r = parsePayload(receiptMessage, encodePayload(receiptMessage, doc));
    expect(r).toEqual({ ok: true, value: doc });
  });

  it('names what is wrong in a bad document', () => {
    const doc = makeDocument();
    const cases: [unknown, RegExp][] = [
      [{ ...doc, total: doc.total + 1 }, /total \d+ is not the sum of the items/],
      [{ ...doc, receipt_id: 'x' }, /receipt_id/],
      [{ ...doc, fiscal: { ...doc.fiscal, fn_number: '123' } }, /fiscal.fn_number: must be the 16-digit FN number/],
      [{ ...doc, tlv_b64: 'not base64!' }, /tlv_b64: must be base64/],
      [{ ...doc, surprise: 1 }, /unknown field\(s\) surprise/],
      [{ ...doc, original_receipt_id: doc.receipt_id }, /only a refund references/],
      [{ ...doc, v: 2 }, /v:/],
    ];
    for (const [msg, re] of cases) {
      const r = parsePayload(receiptMessage, JSON.stringify(msg));
      expect(r.ok, String(re)).toBe(false);
      if (!r.ok) expect(r.reason).toMatch(re);
    }
    expect(parsePayload(receiptMessage, Buffer.from([0xc3, 0x28]))).toMatchObject({ ok: false, reason: expect.stringMatching(/not JSON/) });
  });

  it('a sender cannot emit what a receiver would refuse', () => {
    expect(() => encodePayload(ackMessage, { v: 1, hub_time: 'now', acks: [{ receipt_id: 'nope', result: 'stored', ofd: { status: 'pending', attempts: 0 } }] })).toThrow();
    expect(() => encodePayload(ackMessage, { v: 1, hub_time: new Date().toISOString(), acks: [] })).toThrow();
  });

  it('telemetry tolerates unknown fields from a newer box and fills defaults', () => {
    const r = parsePayload(heartbeatMessage, JSON.stringify({
      v: 1, store_id: 's', box_id: 'b', seq: 1, sent_at: '2026-11-25T10:00:00Z', uptime_s: 5, new_fact: 42,
      buffer: { pending: 0, percent: 0, oldest_pending_age_s: null }, printer: { state: 'ready', fn_docs_without_ticket: 0 }, link: { state: 'online' },
    }));
    expect(r.ok && r.value).toMatchObject({ buffer: { dlq: 0, delivered_unsynced: 0 }, system: {} });
    expect(r.ok && 'new_fact' in r.value).toBe(false);
  });
});

describe('ACL', () => {
  const box: Principal = { role: 'box', username: 'b1', store: 's1', box: 'b1' };
  const hub: Principal = { role: 'service', username: '_hub' };
  it('a box publishes its documents and telemetry only', () => {
    for (const k of ['receipt', 'heartbeat', 'status', 'power']) expect(mayPublish(box, `kkt/v1/s1/b1/${k}`).ok).toBe(true);
    for (const t of ['kkt/v1/s1/b1/ack', 'kkt/v1/s1/b1/cmd/sync', 'kkt/v1/s1/b2/receipt', 'kkt/v1/s2/b1/receipt', HUB_STATUS_TOPIC, '$SYS/x', 'other']) {
      expect(mayPublish(box, t).ok, t).toBe(false);
    }
  });
  it('a box subscribes to its acks, commands and the hub status only', () => {
    for (const f of ['kkt/v1/s1/b1/ack', 'kkt/v1/s1/b1/cmd/#', 'kkt/v1/s1/b1/cmd/sync', HUB_STATUS_TOPIC]) expect(maySubscribe(box, f).ok, f).toBe(true);
    for (const f of ['#', 'kkt/v1/#', 'kkt/v1/s1/+/ack', 'kkt/v1/s1/b1/#', 'kkt/v1/s1/b2/ack', '$SYS/#', 'kkt/v1/s1/b1/receipt']) {
      expect(maySubscribe(box, f).ok, f).toBe(false);
    }
  });
  it('the hub service owns kkt/v1 but not $SYS; client ids cannot be borrowed', () => {
    expect(mayPublish(hub, 'kkt/v1/s1/b1/ack').ok).toBe(true);
    expect(mayPublish(hub, '$SYS/broker').ok).toBe(false);
    expect(maySubscribe(hub, '$SYS/#').ok).toBe(false);
    expect(mayUseClientId(box, 'b1').ok).toBe(true);
    expect(mayUseClientId(box, 'b2').ok).toBe(false);
    expect(mayUseClientId(hub, 'b1').ok).toBe(false);
  });
});
