// UAT-08 "Офлайн-продажа" and UAT-09 "Возврат до синхронизации" with the real printer emulator on
// a PTY: the hub goes down mid-day; a sale at the box is still fiscalised (201 with the fiscal
// sign) and waits in the buffer; its refund is refused (409 problem+json) while the original
// has no OFD ticket; the hub comes back on the same address and the sale syncs once, after
// which the refund goes through and syncs too.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Hub } from '../../hub/hub.js';
import { silentLogger } from '../../shared/logger.js';
import { ShtrihEmulator } from '../../hardware/shtrih-emulator/emulator.js';
import { startTestBox, type TestBox } from '../helpers/box-server.js';
import { printerOverrides } from '../helpers/printer-box.js';
import { saleBody } from '../helpers/receipts.js';
import { tempDir } from '../helpers/temp-dir.js';
import { BOX_SECRET, waitFor } from '../support/hub-fixture.js';
import { onFreePort } from '../support/hub-process.js';
import { hubStack, type HubStack } from '../support/hub-stack.js';

describe('UAT-08/09 offline sale and refund before sync', () => {
  let s: HubStack;
  let t: TestBox;
  let emu: ShtrihEmulator;
  let emuDir: ReturnType<typeof tempDir>;
  let saleId = '';

  beforeAll(async () => {
    s = await onFreePort((port) => hubStack({ mqtt: { port } }, { fnKey: null }));
    emuDir = tempDir('kkt-emu-');
    emu = await ShtrihEmulator.onPty({ dir: emuDir.path, printLineMs: 1 });
    t = await startTestBox({
      ...printerOverrides(emu.hostPath),
      uplink: { enabled: true, url: s.hub.mqttUrl, storeId: 'store-1', boxId: 'box-1', secret: BOX_SECRET, pollMs: 50 },
    });
    await waitFor(() => t.box.uplink?.connected === true);
  }, 30_000);
  afterAll(async () => {
    await t?.stop();
    await emu?.stop();
    emuDir?.remove();
    await s?.close();
  });

  it('UAT-08: with the hub down a sale is fiscalised at once and waits in the buffer', async () => {
    await s.hub.stop();
    await waitFor(() => t.box.uplink?.connected === false);
    const res = await t.post(saleBody({ payments: [{ method: 'cash', amount: 1000 }] }));
    const body = await res.json() as { receipt_id: string; fiscal: { fiscal_document_number: number; fiscal_sign: string } };
    expect(res.status, JSON.stringify(body)).toBe(201);
    expect(body.fiscal.fiscal_sign).toBe(String(emu.fn.doc(body.fiscal.fiscal_document_number)?.fp));
    saleId = body.receipt_id;
    expect(t.box.buffer.get(saleId)?.status).toBe('printed');
    const w = await (await fetch(`${t.url}/pos/widget/status.json`)).json() as { mqtt_connected: boolean; pending: number };
    expect(w).toMatchObject({ mqtt_connected: false, pending: 1 });
  });

  it('UAT-09: the refund is refused while the original is not synced, and nothing is printed', async () => {
    const docs = emu.fn.state.docs.length;
    const r = await t.post(saleBody({ type: 'refund', original_receipt_id: saleId, payments: [{ method: 'cash', amount: 1000 }] }));
    expect(r.status).toBe(409);
    expect(r.headers.get('content-type')).toMatch(/problem\+json/);
    expect(await r.json()).toMatchObject({ type: expect.stringMatching(/refund-original-not-synced/), original_status: 'printed' });
    expect(emu.fn.state.docs.length).toBe(docs);
  });

  it('the hub returns: the sale syncs once (OFD ticket into the FN), then the refund goes through', async () => {
    s.hub = new Hub(s.cfg, { logger: silentLogger() });
    await s.hub.start();
    await waitFor(() => t.box.buffer.get(saleId)?.status === 'synced', 20_000);
    const sale = await (await t.get(`/v1/kkt/receipt/${saleId}`)).json() as { status: string; fiscal: { fiscal_document_number: number } };
    expect(sale.status).toBe('synced');
    await waitFor(() => emu.fn.doc(sale.fiscal.fiscal_document_number)?.confirmed === true);
    const r = await t.post(saleBody({ type: 'refund', original_receipt_id: saleId, payments: [{ method: 'cash', amount: 1000 }] }));
    const refund = await r.json() as { receipt_id: string };
    expect(r.status, JSON.stringify(refund)).toBe(201);
    await waitFor(() => t.box.buffer.get(refund.receipt_id)?.status === 'synced', 20_000);
    expect(s.ofd.stats()).toMatchObject({ accepted: 2, duplicates: 0 });
  }, 45_000);
});
