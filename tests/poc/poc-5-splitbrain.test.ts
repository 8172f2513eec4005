// POC-5 (seed W5): concurrent syncs (one wins, the rest 409); flapping between hub and OFD
// (breaker opens and closes, nothing lost) and between box and hub (hub restarts while the box
// sends); concurrent receipts from several POS reach the OFD in the box's HLC order.
import { afterEach, describe, expect, it } from 'vitest';
import { saleBody } from '../helpers/receipts.js';
import { startTestBox, TEST_TOKEN, type TestBox } from '../helpers/box-server.js';
import { fakeFiscaliser } from '../support/fake-fiscaliser.js';
import { BOX_SECRET, waitFor } from '../support/hub-fixture.js';
import { onFreePort, onSamePort } from '../support/hub-process.js';
import { hubStack, type HubStack } from '../support/hub-stack.js';
import { Hub } from '../../hub/hub.js';
import { silentLogger } from '../../shared/logger.js';

const FN = '9999078900012345';

describe('POC-5: split brain', () => {
  let s: HubStack | null = null;
  let t: TestBox | null = null;
  let fiscaliser = fakeFiscaliser();
  const startBox = async (url: string, uplink: Record<string, unknown> = {}) => {
    fiscaliser = fakeFiscaliser();
    t = await startTestBox({ uplink: { enabled: true, url, storeId: 'store-1', boxId: 'box-1', secret: BOX_SECRET, pollMs: 50, ...uplink } }, { fiscaliser });
  };
  afterEach(async () => { await t?.stop(); await s?.close(); t = null; s = null; });

  it('concurrent syncs: exactly one wins, the others get 409', async () => {
    s = await hubStack({}, { fnKey: null });
    await startBox(s.hub.mqttUrl, { pollMs: 60_000, window: 1 });
    await waitFor(() => t!.box.uplink!.connected);
    for (let i = 0; i < 20; i++) await t!.post(saleBody());
    const codes = await Promise.all(Array.from({ length: 5 }, () => fetch(`${t!.url}/v1/kkt/sync`, { method: 'POST', headers: { authorization: `Bearer ${TEST_TOKEN}` } }).then((r) => r.status)));
    expect(codes.sort()).toEqual([202, 409, 409, 409, 409]);
    await waitFor(() => t!.box.buffer.status().by_status.synced === 20, 20_000);
  });

  it('hub <-> OFD flapping: the breaker opens and closes, every document reaches the OFD once, in order', async () => {
    s = await hubStack({ ofd: { breakerFailures: 3, halfOpenAfterMs: 300, backoffInitialMs: 20, backoffMaxMs: 100 } }, { fnKey: null });
    const states: string[] = [];
    s.hub.forwarder.on('breaker', (st) => states.push(st));
    await startBox(s.hub.mqttUrl);
    await s.ofd.setFault({ mode: 'flapping', flap_every: 4 });
    const posts = [];
    for (let i = 0; i < 30; i++) posts.push(t!.post(saleBody({ pos_id: `POS-${i % 3}` })));
    expect((await Promise.all(posts)).every((r) => r.status === 201)).toBe(true);
    await waitFor(() => t!.box.buffer.status().by_status.synced === 30, 30_000);
    expect(states).toContain('open');
    expect(states.at(-1)).toBe('closed');
    expect(s.ofd.stats()).toMatchObject({ accepted: 30, duplicates: 0 });
    // Concurrent receipts from three POS: the OFD received them in the box's HLC order.
    const hlcOfFd = (fd: number) => t!.box.buffer.get(fiscaliser.receiptOf.get(fd)!)!.hlc;
    const arrived = s.ofd.stats().order[FN]!.map(hlcOfFd);
    expect(arrived).toEqual([...arrived].sort());
  }, 60_000);

  it('box <-> hub flapping: the hub goes away twice while the box sells; nothing lost, nothing twice', async () => {
    // A fixed port (not 0) so the restarts below come back on the box's address.
    const stack = await onFreePort((port) => hubStack({ mqtt: { port } }, { fnKey: null }));
    s = stack;
    await startBox(stack.hub.mqttUrl);
    let sold = 0;
    const sell = async (n: number) => { for (let i = 0; i < n; i++, sold++) expect((await t!.post(saleBody())).status).toBe(201); };
    for (let round = 0; round < 2; round++) {
      await sell(10);
      await stack.hub.stop();
      await sell(5);
      stack.hub = await onSamePort(async () => {
        const hub = new Hub(stack.cfg, { logger: silentLogger() });
        // A start that failed half-way holds the database and any listener it opened.
        try { await hub.start(); } catch (err) { await hub.stop(); throw err; }
        return hub;
      });
    }
    await sell(5);
    await waitFor(() => t!.box.buffer.status().by_status.synced === sold, 30_000);
    expect(s.ofd.stats()).toMatchObject({ accepted: sold, duplicates: 0 });
    expect(s.ofd.stats().order[FN]).toEqual(Array.from({ length: sold }, (_, i) => i + 1));
  }, 60_000);
});
