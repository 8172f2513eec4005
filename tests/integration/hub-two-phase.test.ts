// Seed W3.2 on the hub side: documents reach the OFD once with their ticket sent back to the
// box; an OFD outage opens the breaker and buffers at the hub; recovery syncs everything once.
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { MqttClient } from 'mqtt';
import { hubStatusMessage, parsePayload } from '../../shared/mqtt/messages.js';
import { boxTopics, HUB_STATUS_TOPIC } from '../../shared/mqtt/topics.js';
import { makeDocument } from '../support/documents.js';
import { collectAcks, connectBox, nextMessage, waitFor } from '../support/hub-fixture.js';
import { hubStack, OPERATOR_TOKEN, type HubStack } from '../support/hub-stack.js';

const T = boxTopics({ store: 'store-1', box: 'box-1' });

describe('hub: ingest -> OFD -> ticket back to the box', () => {
  let s: HubStack;
  let box: MqttClient;
  beforeEach(async () => {
    s = await hubStack();
    box = await connectBox(s.hub.mqttUrl, 'box-1');
    await box.subscribeAsync([T.ack, HUB_STATUS_TOPIC], { qos: 1 });
  });
  afterEach(async () => { await box.endAsync(true); await s.close(); });

  it('test_phase2_syncs_when_online: each document is acked, forwarded once and its ticket comes back', async () => {
    const acks = collectAcks(box, T.ack);
    const docs = Array.from({ length: 10 }, () => makeDocument());
    for (const d of docs) await box.publishAsync(T.receipt, JSON.stringify(d), { qos: 1 });
    await waitFor(() => docs.every((d) => acks.get(d.receipt_id)?.some((a) => a.ofd.status === 'confirmed')));
    for (const d of docs) {
      const seq = acks.get(d.receipt_id)!;
      expect(seq[0]).toMatchObject({ result: 'stored', ofd: { status: 'pending' } });
      expect(seq.at(-1)?.ofd.ticket).toMatchObject({ fd_number: d.fiscal.fd_number, fn_number: d.fiscal.fn_number });
    }
    expect(s.ofd.stats()).toMatchObject({ accepted: 10, duplicates: 0 });
    expect(s.ofd.stats().order[docs[0]!.fiscal.fn_number]).toEqual(docs.map((d) => d.fiscal.fd_number));
  });

  it('test_phase2_buffers_when_offline + test_cb_open_blocks_phase2: OFD down -> breaker opens, hub status says so; back -> synced once', async () => {
    await s.ofd.setFault({ mode: '503' });
    const statusOpen = nextMessage(box, HUB_STATUS_TOPIC, (p) => {
      const r = parsePayload(hubStatusMessage, p);
      return r.ok && r.value.ofd?.breaker === 'open';
    });
    const docs = Array.from({ length: 8 }, (_, i) => makeDocument({ box: 'box-1', fd: 5000 + i }));
    for (const d of docs) await box.publishAsync(T.receipt, JSON.stringify(d), { qos: 1 });
    await statusOpen;
    expect(s.hub.forwarder.breakerState).toBe('open');
    const failedSoFar = s.ofd.stats().failed_by_fault;
    expect(failedSoFar).toBe(5);
    const res = await fetch(`${s.hub.httpUrl}/metrics`);
    expect(await res.text()).toMatch(/hub_ofd_breaker_state 1/);
    // The hub still works (documents wait safely), but /health says what to look at.
    const open = await fetch(`${s.hub.httpUrl}/health`);
    expect(open.status).toBe(200);
    expect(await open.json()).toMatchObject({ status: 'degraded', degraded: ['ofd'], components: { ofd: { ok: true, detail: 'breaker open' } } });
    await s.ofd.setFault({ mode: 'ok' });
    await waitFor(() => s.hub.store.counts().confirmed === 8, 15_000);
    expect(await (await fetch(`${s.hub.httpUrl}/health`)).json()).toMatchObject({ status: 'ok', degraded: [] });
    expect(s.ofd.stats()).toMatchObject({ accepted: 8, duplicates: 0 });
    expect(s.ofd.stats().order[docs[0]!.fiscal.fn_number]).toEqual(docs.map((d) => d.fiscal.fd_number));
    expect(s.hub.forwarder.breakerState).toBe('closed');
  });

  it('operator API: token required; fleet lists boxes; DLQ re-drive validates its body', async () => {
    expect((await fetch(`${s.hub.httpUrl}/api/fleet`)).status).toBe(401);
    const auth = { authorization: `Bearer ${OPERATOR_TOKEN}`, 'content-type': 'application/json' };
    const fleet = await (await fetch(`${s.hub.httpUrl}/api/fleet`, { headers: auth })).json() as { boxes: { box: string; state: string }[] };
    expect(fleet.boxes.map((b) => [b.box, b.state])).toEqual([['box-1', 'unknown'], ['box-2', 'unknown']]);
    const bad = await fetch(`${s.hub.httpUrl}/api/ofd/dlq/redrive`, { method: 'POST', headers: auth, body: JSON.stringify({ receipt_ids: ['x'] }) });
    expect(bad.status).toBe(422);
    expect(bad.headers.get('content-type')).toMatch(/problem\+json/);
    // Nothing that is not an explicit choice re-drives everything.
    const redrive = (body: string, headers: Record<string, string> = auth) => fetch(`${s.hub.httpUrl}/api/ofd/dlq/redrive`, { method: 'POST', headers, body });
    for (const [body, headers, status] of [
      ['{}', auth, 422], ['{"receipt_ids":[]}', auth, 422], ['{"all":false}', auth, 422],
      ['{"all":true,"receipt_ids":["0193f1c2-7b1e-7a10-9c55-1f2e3d4c5b6a"]}', auth, 422],
      ['{"receipt_ids":["0193f1c2-7b1e-7a10-9c55-1f2e3d4c5b6a"]}', { ...auth, 'content-type': 'text/plain' }, 415],
      ['', auth, 400],
    ] as const) {
      const r = await redrive(body, headers);
      expect(r.status, body).toBe(status);
      expect(r.headers.get('content-type'), body).toMatch(/problem\+json/);
    }
    const ok = await redrive('{"all":true}');
    expect(await ok.json()).toEqual({ redriven: [] });
    const health = await fetch(`${s.hub.httpUrl}/health`);
    expect(health.status).toBe(200);
  });
});
