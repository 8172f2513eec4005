// The POS status widget in real headless Chromium: it shows online, then degraded when the
// OFD breaker opens and the buffer grows, and it refreshes by itself.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { chromium, type BrowserContext } from 'playwright-core';
import { saleBody } from '../helpers/receipts.js';
import { startTestBox, type TestBox } from '../helpers/box-server.js';
import { fakeFiscaliser } from '../support/fake-fiscaliser.js';
import { BOX_SECRET, waitFor } from '../support/hub-fixture.js';
import { hubStack, type HubStack } from '../support/hub-stack.js';

const CHROMIUM = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';

describe('POS status widget (browser)', () => {
  let s: HubStack;
  let t: TestBox;
  let browser: BrowserContext;
  let profileDir: string;
  beforeAll(async () => {
    // The hub publishes its retained status on each breaker change (and every fleet period, 30 s
    // by default, longer than this test waits): the widget must turn degraded from the live
    // update alone. That update used to be dropped by aedes' dedupe when an ack overtook it
    // (fixed, see docs/hub.md and broker-ordering.test.ts).
    s = await hubStack({ ofd: { breakerFailures: 2, halfOpenAfterMs: 60_000 } }, { fnKey: null });
    t = await startTestBox({ uplink: { enabled: true, url: s.hub.mqttUrl, storeId: 'store-1', boxId: 'box-1', secret: BOX_SECRET, pollMs: 50, heartbeatMs: 300 } },
      { fiscaliser: fakeFiscaliser() });
    profileDir = mkdtempSync(join(tmpdir(), 'widget-chromium-'));
    browser = await chromium.launchPersistentContext(profileDir, {
      executablePath: CHROMIUM, headless: true, locale: 'ru-RU',
      args: ['--no-sandbox', '--disable-gpu', '--disable-background-networking', '--disable-component-update', '--disable-sync', '--no-first-run', '--disable-quic'],
    });
  }, 60_000);
  afterAll(async () => {
    await browser?.close();
    rmSync(profileDir, { recursive: true, force: true });
    await t?.stop();
    await s?.close();
  });

  it('shows online, then degraded with the breaker open and the buffer growing, refreshing itself', async () => {
    await waitFor(() => t.box.heartbeat?.link.state === 'online', 10_000);
    const page = await browser.newPage();
    await page.goto(`${t.url}/pos/widget?refresh_ms=200`);
    await page.waitForSelector('#box[data-state="online"]');
    expect(await page.textContent('#state')).toBe('В сети');
    expect(await page.textContent('#breaker')).toBe('работает');
    expect(await page.textContent('#reason')).toBe('Связь с сервером есть, чеки уходят в ОФД');

    await s.ofd.setFault({ mode: 'down' });
    for (let i = 0; i < 4; i++) expect((await t.post(saleBody())).status).toBe(201);
    await page.waitForSelector('#box[data-state="degraded"]', { timeout: 20_000 }).catch(async (err: Error) => {
      const st = await (await fetch(`${t.url}/pos/widget/status.json`)).text();
      throw new Error(`${err.message}; widget data: ${st}; hub breaker: ${s.hub.forwarder.breakerState}; ofd: ${JSON.stringify(s.ofd.stats())}`);
    });
    expect(await page.textContent('#breaker')).toBe('недоступен');
    // The cashier reads Russian; the English reason stays in status.json for POS developers.
    expect(await page.textContent('#reason')).toBe('ОФД недоступен; чеки ждут отправки на сервере');
    expect(Number(await page.textContent('#unsynced'))).toBeGreaterThan(0);
    await page.screenshot({ path: join(profileDir, 'widget.png') });
  }, 40_000);
});
