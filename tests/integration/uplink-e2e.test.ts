// The box's uplink end to end: POS sale -> buffer -> MQTT -> hub -> test OFD -> ticket back ->
// synced; refund saga; POST /v1/kkt/sync with its 409; the status the POS widget reads.
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { saleBody } from '../helpers/receipts.js';
import { startTestBox, TEST_TOKEN, type TestBox } from '../helpers/box-server.js';
import { fakeFiscaliser } from '../support/fake-fiscaliser.js';
import { BOX_SECRET, waitFor } from '../support/hub-fixture.js';
import { hubStack, type HubStack } from '../support/hub-stack.js';
import type { syntheticFnBridge } from '../../firmware/uplink/fn-bridge.js';

describe('box uplink to the hub', () => {
  let s: HubStack;
  let t: TestBox;
  const start = async (uplink: Record<string, unknown> = {}) => {
    t = await startTestBox({ uplink: { enabled: true, url: s.hub.mqttUrl, storeId: 'store-1', boxId: 'box-1', secret: BOX_SECRET, pollMs: 50, ...uplink } },
      { fiscaliser: fakeFiscaliser() });
    await waitFor(() => t.box.uplink?.connected === true);
  };
  beforeEach(async () => { s = await hubStack({}, { fnKey: null }); });
  afterEach(async () => { await t?.stop(); await s.close(); });

  it('a sale goes printed -> delivered -> synced and its ticket is handed to the FN', async () => {
    await start();
    const res = await t.post(saleBody());
    expect(res.status).toBe(201);
    const { receipt_id: id } = await res.json() as { receipt_id: string };
    const seen: string[] = [];
    t.box.uplink!.on('delivered', () => seen.push('delivered'));
    t.box.uplink!.on('synced', () => seen.push('synced'));
    await waitFor(() => t.box.buffer.get(id)?.status === 'synced');
    expect(seen).toEqual(['delivered', 'synced']);
    expect(s.ofd.stats()).toMatchObject({ accepted: 1, duplicates: 0 });
    const fn = t.box.uplink!.fn as ReturnType<typeof syntheticFnBridge>;
    expect(fn.tickets.map((x) => x.fd_number)).toEqual([1]);
    const w = await (await fetch(`${t.url}/pos/widget/status.json`)).json() as { state: string; mqtt_connected: boolean };
    expect(w.mqtt_connected).toBe(true);
    // /health shows the link for the field console, and never fails on it.
    const health = await (await fetch(`${t.url}/health`)).json() as { components: Record<string, { status: string; detail?: unknown }> };
    expect(health.components.uplink).toEqual({ status: 'ok', detail: { link: expect.any(String), mqtt_connected: true, unsent: 0, unsynced: 0 } });
    expect(health.components.power).toEqual({ status: 'ok', detail: { state: 'mains' } });
  });

  it('refund saga: 409 while the original has no OFD ticket, 201 once it has', async () => {
    await start();
    await s.ofd.setFault({ mode: '503' });
    const sale = await (await t.post(saleBody())).json() as { receipt_id: string };
    await waitFor(() => t.box.buffer.get(sale.receipt_id)?.status === 'delivered');
    const refund = saleBody({ type: 'refund', original_receipt_id: sale.receipt_id });
    const r1 = await t.post(refund);
    expect(r1.status).toBe(409);
    expect(await r1.json()).toMatchObject({ type: expect.stringMatching(/refund-original-not-synced/), original_status: 'delivered' });
    await s.ofd.setFault({ mode: 'ok' });
    await waitFor(() => t.box.buffer.get(sale.receipt_id)?.status === 'synced', 15_000);
    expect((await t.post(refund)).status).toBe(201);
  });

  it('POST /v1/kkt/sync drains now; a concurrent second one gets 409', async () => {
    await start({ pollMs: 60_000, window: 1 });
    for (let i = 0; i < 30; i++) expect((await t.post(saleBody())).status).toBe(201);
    const sync = () => fetch(`${t.url}/v1/kkt/sync`, { method: 'POST', headers: { authorization: `Bearer ${TEST_TOKEN}` } });
    const [a, b] = await Promise.all([sync(), sync()]);
    expect([a.status, b.status].sort()).toEqual([202, 409]);
    const busy = [a, b].find((r) => r.status === 409)!;
    expect(busy.headers.get('content-type')).toMatch(/problem\+json/);
    await waitFor(() => t.box.buffer.status().by_status.synced === 30, 20_000);
    expect(s.ofd.stats()).toMatchObject({ accepted: 30, duplicates: 0 });
  });

  it('a ticket the FN did not take is asked for again without waiting for a reconnect', async () => {
    await start({ ackTimeoutMs: 300 });
    const fn = t.box.uplink!.fn as ReturnType<typeof syntheticFnBridge>;
    const take = fn.handTicket.bind(fn);
    let refused = 0;
    fn.handTicket = async (ticket) => {
      if (refused++ === 0) throw new Error('FN busy'); // the first hand-over fails, as after a printer restart
      return take(ticket);
    };
    let reconnects = 0;
    t.box.uplink!.on('connected', () => reconnects++);
    const { receipt_id: id } = await (await t.post(saleBody())).json() as { receipt_id: string };
    await waitFor(() => t.box.buffer.get(id)?.status === 'synced', 5000);
    expect(refused).toBe(2);
    expect(fn.tickets).toHaveLength(1);
    expect(reconnects).toBe(0);
    expect(s.ofd.stats()).toMatchObject({ accepted: 1 });
  });
});
