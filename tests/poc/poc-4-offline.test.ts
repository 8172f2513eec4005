// POC-4 (seed W5): 8 hours offline, compressed. 50 receipts are sold over "8 hours" (the box's
// clock is driven) while the hub and its broker do not exist at all, so no publish can reach
// them; then the hub comes up on the box's configured address. Everything syncs well within
// 10 minutes, the test OFD counts zero duplicates and the FN's count without ticket returns to 0.
import { afterEach, describe, expect, it } from 'vitest';
import { saleBody } from '../helpers/receipts.js';
import { startTestBox, type TestBox } from '../helpers/box-server.js';
import { countingFnBridge, fakeFiscaliser } from '../support/fake-fiscaliser.js';
import { BOX_SECRET, waitFor } from '../support/hub-fixture.js';
import { onFreePort } from '../support/hub-process.js';
import { hubStack, type HubStack } from '../support/hub-stack.js';

describe('POC-4: 8 hours offline', () => {
  let s: HubStack | null = null;
  let t: TestBox | null = null;
  afterEach(async () => { await t?.stop(); await s?.close(); });

  it('50 receipts buffered offline are all synced once after the link returns', async () => {
    const HOURS_8 = 8 * 3600_000;
    let fn!: ReturnType<typeof countingFnBridge>;
    let restoredAt = 0;
    // The box keeps the hub's address from its start: if the port is taken before the hub
    // listens, the whole offline day is run again by a new box on another port.
    s = await onFreePort(async (port) => {
      await t?.stop(); // the box of an attempt whose port was taken: it would keep dialling it
      t = null;
      let fakeNow = Date.parse('2026-11-25T09:00:00Z');
      const fiscaliser = fakeFiscaliser();
      fn = countingFnBridge(fiscaliser);
      t = await startTestBox(
        { uplink: { enabled: true, url: `mqtt://127.0.0.1:${port}`, storeId: 'store-1', boxId: 'box-1', secret: BOX_SECRET, pollMs: 50 } },
        { fiscaliser, fnBridge: fn, wallClock: () => fakeNow },
      );
      for (let i = 0; i < 50; i++) {
        fakeNow += HOURS_8 / 50;
        expect((await t.post(saleBody({ pos_id: `POS-${i % 3}` }))).status).toBe(201);
      }
      expect(t.box.uplink!.connected).toBe(false);
      expect(t.box.uplink!.outbox.counts().unsent).toBe(50);
      expect(await fn.unconfirmed()).toBe(50);

      restoredAt = Date.now();
      return hubStack({ mqtt: { port } }, { fnKey: null });
    });
    await waitFor(() => t!.box.buffer.status().by_status.synced === 50, 60_000);
    const seconds = (Date.now() - restoredAt) / 1000;
    expect(seconds).toBeLessThan(600);
    expect(s.ofd.stats()).toMatchObject({ accepted: 50, duplicates: 0 });
    expect(await fn.unconfirmed()).toBe(0);
    // The OFD saw the box's documents in HLC order (FD order = sale order here).
    expect(s.ofd.stats().order['9999078900012345']).toEqual(Array.from({ length: 50 }, (_, i) => i + 1));
    console.log(`POC-4: 50 receipts synced ${seconds.toFixed(1)} s after the link returned`);
  }, 90_000);
});
