// The hub (not the standalone ERP) in a real headless Chromium: sign in on the hub's own port
// and see the fleet page fed by hub/fleet, a box going online from its MQTT heartbeats.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { MqttClient } from 'mqtt';
import { chromium, type BrowserContext, type Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { encodePayload, heartbeatMessage } from '../../shared/mqtt/messages.js';
import { boxTopics } from '../../shared/mqtt/topics.js';
import { connectBox, waitFor } from '../support/hub-fixture.js';
import { hubStack, type HubStack } from '../support/hub-stack.js';

const CHROMIUM = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';
const T = boxTopics({ store: 'store-1', box: 'box-1' });
const hb = (seq: number) => encodePayload(heartbeatMessage, {
  v: 1, store_id: 'store-1', box_id: 'box-1', seq, sent_at: new Date().toISOString(), uptime_s: seq * 30,
  buffer: { pending: 7, percent: 0.7, oldest_pending_age_s: 42 },
  printer: { state: 'connected', fn_docs_without_ticket: 9, fn_oldest_without_ticket_age_s: 3 * 86_400 + 5 }, link: { state: 'online' },
  health: { status: 'degraded', failing: [], degraded: ['clock'] },
});

describe('hub pages in Chromium', () => {
  let s: HubStack;
  let box: MqttClient;
  let browser: BrowserContext;
  let page: Page;
  let profileDir: string;

  beforeAll(async () => {
    s = await hubStack();
    box = await connectBox(s.hub.mqttUrl, 'box-1');
    profileDir = mkdtempSync(join(tmpdir(), 'hub-chromium-'));
    browser = await chromium.launchPersistentContext(profileDir, {
      executablePath: CHROMIUM, headless: true, locale: 'ru-RU',
      args: ['--no-sandbox', '--disable-gpu', '--disable-background-networking', '--disable-component-update', '--disable-sync', '--no-first-run', '--disable-quic'],
    });
    page = browser.pages()[0] ?? await browser.newPage();
    page.setDefaultTimeout(15_000);
  });
  afterAll(async () => {
    await browser?.close();
    await box?.endAsync(true);
    await s?.close();
    rmSync(profileDir, { recursive: true, force: true });
  });

  it('signs in on the hub with the configured admin and sees every box on the fleet page, one online', async () => {
    for (const seq of [1, 2]) await box.publishAsync(T.heartbeat, hb(seq), { qos: 1 });
    await waitFor(() => s.hub.fleet.get({ store: 'store-1', box: 'box-1' })?.state === 'online');

    await page.goto(`${s.hub.httpUrl}/fleet`);
    await page.fill('#f-username', s.cfg.erp.adminUser);
    await page.fill('#f-password', s.cfg.erp.adminPassword);
    await Promise.all([page.waitForURL(/\/fleet$/), page.click('button[type=submit]')]);
    const rows = page.locator('#fleet tbody tr');
    await expect.poll(() => rows.count()).toBe(2);
    const online = rows.filter({ hasText: 'box-1' });
    expect(await online.locator('td').nth(2).textContent()).toBe('на связи');
    expect(await online.locator('td').nth(4).textContent()).toBe('7');
    expect(await online.locator('td').nth(5).textContent())
      .toBe('принтер: на связи; ФН без квитанции: 9; старейший неотправленный: 3 дн.; требует внимания: clock; сигналов подряд: 2');
    expect(await rows.filter({ hasText: 'box-2' }).locator('td').nth(2).textContent()).toBe('нет данных');
  });
});
