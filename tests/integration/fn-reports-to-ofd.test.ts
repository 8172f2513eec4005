// Shift reports are fiscal documents too: opened by the printer before a sale or by the POS,
// closed by the Z-report, each must reach the OFD once and get its ticket back into the FN, or
// the FN's count without a ticket only grows (and the FN blocks after 30 days). Box with the
// Shtrih-M emulator on a real PTY, MQTT uplink, a real hub and the test OFD.
import { afterEach, describe, expect, it, vi } from 'vitest';
import { ShtrihEmulator } from '../../hardware/shtrih-emulator/emulator.js';
import { startTestBox, TEST_TOKEN, type TestBox } from '../helpers/box-server.js';
import { printerOverrides } from '../helpers/printer-box.js';
import { saleBody } from '../helpers/receipts.js';
import { tempDir } from '../helpers/temp-dir.js';
import { BOX_SECRET, waitFor } from '../support/hub-fixture.js';
import { hubStack, type HubStack } from '../support/hub-stack.js';

describe('FN shift reports reach the OFD', () => {
  let s: HubStack | null = null;
  let t: TestBox | null = null;
  let emu: ShtrihEmulator | null = null;
  let emuDir: ReturnType<typeof tempDir> | null = null;
  afterEach(async () => {
    await t?.stop();
    await emu?.stop();
    emuDir?.remove();
    await s?.close();
  });

  const start = async () => {
    s = await hubStack({}, { fnKey: null });
    emuDir = tempDir('kkt-emu-');
    emu = await ShtrihEmulator.onPty({ dir: emuDir.path, printLineMs: 1 });
    t = await startTestBox({
      ...printerOverrides(emu.hostPath),
      uplink: { enabled: true, url: s.hub.mqttUrl, storeId: 'store-1', boxId: 'box-1', secret: BOX_SECRET, pollMs: 50, heartbeatMs: 60_000 },
    });
    await waitFor(() => t!.box.uplink?.connected === true);
    return { s, t, emu };
  };
  const post = (path: string) => fetch(`${t!.url}${path}`, { method: 'POST', headers: { authorization: `Bearer ${TEST_TOKEN}`, 'content-type': 'application/json' }, body: '{}' });

  it('the shift a sale opens, a Z-report and the next shift: every FN document ticketed, once', async () => {
    const { s, t, emu } = await start();
    expect((await t.post(saleBody())).status).toBe(201); // the printer opens the shift first
    expect((await post('/v1/kkt/shift/close')).status).toBe(200);
    expect((await post('/v1/kkt/shift/open')).status).toBe(200);
    expect((await t.post(saleBody())).status).toBe(201);
    const docs = emu.fn.state.docs.map((d) => ({ fd: d.fd, form: d.form }));
    expect(docs.map((d) => d.form)).toEqual([2, 3, 5, 2, 3]);
    // The box hands each ticket to the FN first and marks the documents synced after: wait for both.
    await waitFor(() => emu.fn.unconfirmed().length === 0 && t.box.buffer.status().by_status.synced === docs.length, 20_000);
    expect(s.ofd.stats()).toMatchObject({ accepted: 5, duplicates: 0, rejected: 0 });
    expect([...s.ofd.stats().order[emu.fn.state.fnNumber]!].sort((a, b) => a - b)).toEqual(docs.map((d) => d.fd));
    // The reports are rows of the buffer's outbox, synced like receipts; not sales at the POS.
    const byStatus = t.box.buffer.status().by_status;
    expect(byStatus.synced).toBe(5);
    expect(t.box.buffer.status().current_queued).toBe(0);
    // The ERP books the two sales and leaves the three reports alone.
    const erpLink = async () => (await (await fetch(`${s.hub.httpUrl}/metrics`)).text()).match(/hub_erp_link_total\{result="(\w+)"\} (\d+)/g)?.sort() ?? [];
    await vi.waitFor(async () => expect(await erpLink()).toEqual(['hub_erp_link_total{result="linked"} 2', 'hub_erp_link_total{result="not_a_sale"} 3']), { timeout: 10_000, interval: 50 });
    // A second sweep finds nothing new: each document is recorded once.
    expect(await t.box.fnReports!.sweep()).toBe(0);
  }, 40_000);
});
