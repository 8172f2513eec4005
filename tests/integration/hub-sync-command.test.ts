// The operator asks one box to drain now: POST /api/boxes/:store/:box/sync publishes cmd/sync,
// and the box publishes its waiting documents without waiting for its next poll.
import { afterEach, describe, expect, it } from 'vitest';
import { saleBody } from '../helpers/receipts.js';
import { startTestBox, type TestBox } from '../helpers/box-server.js';
import { countingFnBridge, fakeFiscaliser } from '../support/fake-fiscaliser.js';
import { BOX_SECRET, waitFor } from '../support/hub-fixture.js';
import { hubStack, OPERATOR_TOKEN, type HubStack } from '../support/hub-stack.js';

describe('operator sync command', () => {
  let s: HubStack | null = null;
  let t: TestBox | null = null;
  afterEach(async () => { await t?.stop(); await s?.close(); });

  it('202 and the box drains at once; 404 for an unknown box; 401 without the token', async () => {
    s = await hubStack({}, { fnKey: null });
    const fiscaliser = fakeFiscaliser();
    // A poll far longer than the test: only the command can make the box publish.
    t = await startTestBox(
      { uplink: { enabled: true, url: s.hub.mqttUrl, storeId: 'store-1', boxId: 'box-1', secret: BOX_SECRET, pollMs: 60_000 } },
      { fiscaliser, fnBridge: countingFnBridge(fiscaliser) },
    );
    await waitFor(() => t!.box.uplink?.connected === true);
    expect((await t.post(saleBody())).status).toBe(201);
    expect(t.box.uplink!.outbox.counts().unsent).toBe(1);
    expect(s.hub.store.counts().pending + s.hub.store.counts().confirmed).toBe(0);

    const call = (path: string, token: string | null = OPERATOR_TOKEN) =>
      fetch(`${s!.hub.httpUrl}${path}`, { method: 'POST', headers: token ? { authorization: `Bearer ${token}` } : {} });
    expect((await call('/api/boxes/store-1/box-1/sync', null)).status).toBe(401);
    const unknown = await call('/api/boxes/store-1/box-9/sync');
    expect(unknown.status).toBe(404);
    expect(await unknown.json()).toMatchObject({ type: expect.stringMatching(/box-not-found/) });

    const r = await call('/api/boxes/store-1/box-1/sync');
    expect(r.status).toBe(202);
    expect(await r.json()).toMatchObject({ request_id: expect.any(String), topic: 'kkt/v1/store-1/box-1/cmd/sync' });
    await waitFor(() => t!.box.buffer.status().by_status.synced === 1, 10_000);
    expect(s.ofd.stats().accepted).toBe(1);
  });
});
