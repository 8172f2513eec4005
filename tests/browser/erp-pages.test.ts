// The ERP pages in a real headless Chromium (Debian's, driven by playwright-core): sign in,
// enter a patient and a prescription (a bad axis is refused inline), order lenses, confirm
// and advance the order, import a supplier price list through the wizard.
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import iconv from 'iconv-lite';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { chromium, type BrowserContext, type Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { samplePath, startErpServer, type ErpServer } from '../support/erp-http.js';

const CHROMIUM = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';

describe('ERP pages in Chromium', () => {
  let srv: ErpServer;
  let browser: BrowserContext;
  let page: Page;
  let profileDir: string;
  let patientUrl = '';

  beforeAll(async () => {
    srv = await startErpServer();
    profileDir = mkdtempSync(join(tmpdir(), 'erp-chromium-'));
    // A fresh profile directory per run (playwright passes it as --user-data-dir).
    browser = await chromium.launchPersistentContext(profileDir, {
      executablePath: CHROMIUM, headless: true, locale: 'ru-RU',
      args: ['--no-sandbox', '--disable-gpu', '--disable-background-networking', '--disable-component-update', '--disable-sync', '--no-first-run', '--disable-quic'],
    });
    page = browser.pages()[0] ?? await browser.newPage();
    page.setDefaultTimeout(15_000);
    await page.goto(`${srv.url}/patients`);
    await page.fill('#f-username', srv.credentials.username);
    await page.fill('#f-password', srv.credentials.password);
    await Promise.all([page.waitForURL(/\/patients$/), page.click('button[type=submit]')]);
  });
  afterAll(async () => {
    await browser?.close();
    await srv?.close();
    rmSync(profileDir, { recursive: true, force: true });
  });

  it('creates a patient and a prescription; a bad axis is refused inline with its range', async () => {
    await page.click('text=Новый пациент');
    await page.fill('#f-last_name', 'Кузнецова');
    await page.fill('#f-first_name', 'Ольга');
    await page.fill('#f-birth_date', '1988-04-12');
    await page.fill('#f-phone', '+7 916 555-12-34');
    await Promise.all([page.waitForURL(/\/patients\/\d+$/), page.click('button[type=submit]')]);
    patientUrl = page.url();
    expect(await page.textContent('h1')).toContain('Кузнецова Ольга');

    await page.click('text=Новый рецепт');
    await page.fill('#f-prescriber', 'Соколова Т. И.');
    await page.fill('#f-od_sph', '-2,25');
    await page.fill('#f-od_cyl', '-0,75');
    await page.fill('#f-od_axis', '200');
    await page.fill('#f-os_sph', '-2.00');
    await page.fill('#f-pd_distance', '63,5');
    await page.click('button[type=submit]');
    const err = page.locator('small.error[data-field=od_axis]');
    await err.waitFor();
    expect(await err.textContent()).toContain('от 1 до 180');
    expect(await page.getAttribute('#f-od_axis', 'aria-invalid')).toBe('true');
    expect(await page.inputValue('#f-od_sph')).toBe('-2,25');
    expect(await page.locator('small.error').count()).toBe(1);

    await page.fill('#f-od_axis', '180');
    await Promise.all([page.waitForURL(/\/patients\/\d+$/), page.click('button[type=submit]')]);
    const od = page.locator('tr[data-eye=od]');
    expect(await od.textContent()).toMatch(/-2\.25\s*-0\.75\s*180/);
  });

  it('orders lenses, confirms and advances the order on its status bar', async () => {
    await page.goto(patientUrl);
    await page.click('text=Заказать линзы');
    const lensValue = await page.locator('#f-lens_od_id option', { hasText: 'SV 1.60 AR' }).getAttribute('value');
    await page.selectOption('#f-lens_od_id', lensValue ?? '');
    await page.selectOption('#f-lens_os_id', lensValue ?? '');
    await page.fill('#f-hbox', '52');
    await page.fill('#f-vbox', '38');
    await page.fill('#f-dbl', '18');
    await Promise.all([page.waitForURL(/\/orders\/\d+$/), page.click('button[type=submit]')]);
    expect(await page.textContent('.statusbar [aria-current=step]')).toBe('Черновик');

    await Promise.all([page.waitForLoadState('load'), page.click('button[data-to=confirmed]')]);
    await page.locator('.statusbar [aria-current=step]', { hasText: 'Подтверждён' }).waitFor();
    expect(await page.textContent('#due-date')).toMatch(/^\d{4}-\d{2}-\d{2}$/);
    await Promise.all([page.waitForLoadState('load'), page.click('button[data-to=in_production]')]);
    await page.locator('.statusbar [aria-current=step]', { hasText: 'В производстве' }).waitFor();
    expect(await page.locator('.statusbar li.done').allTextContents()).toEqual(['Черновик', 'Подтверждён']);
    expect(await page.locator('button[data-to]').evaluateAll((bs) => bs.map((b) => b.getAttribute('data-to')))).toEqual(['ready', 'cancelled']);
    expect(await page.textContent('.history')).toContain('Подтверждён → В производстве');
  });

  it('imports a supplier price list through the wizard: upload, preview 10 rows, confirm, progress', async () => {
    await page.goto(`${srv.url}/import`);
    await page.setInputFiles('#file', fileURLToPath(samplePath('optmarket-frames-cp1251.csv')));
    const profile = await page.locator('#profile option', { hasText: 'ОптМаркет' }).getAttribute('value');
    await page.selectOption('#profile', profile ?? '');
    await page.click('#upload');
    await page.locator('#step2:not([hidden])').waitFor();
    expect(await page.locator('#preview tbody tr').count()).toBe(10);
    expect(await page.textContent('#preview tbody tr:first-child')).toContain('Оправа «Silhouette» модель 1');
    await page.click('#confirm');
    await page.locator('#job-state[data-state=done]').waitFor();
    const state = await page.textContent('#job-state');
    expect(state).toContain('Создано: 38');
    expect(state).toContain('С ошибками: 2');
    await Promise.all([page.waitForURL(/\/import\/jobs\/\d+$/), page.click('#job-link')]);
    expect(await page.locator('#row-errors tbody tr').count()).toBe(2);
    expect(await page.textContent('#row-errors tbody tr:first-child')).toContain('Цена продажи: «по запросу» — не сумма в рублях');
    await page.goto(`${srv.url}/products?q=${encodeURIComponent('модель 7')}`);
    expect(await page.textContent('#products tbody')).toContain('OM-000007');

    // A row problem in the preview is explained in Russian, before anything is written.
    const bad = join(profileDir, 'bad.csv');
    writeFileSync(bad, iconv.encode('Артикул;Штрихкод;Наименование;Бренд;Вид;Закупка;Цена\r\nZ-1;12AB;Оправа Z;Z;оправа;1;2\r\n', 'win1251'));
    await page.goto(`${srv.url}/import`);
    await page.setInputFiles('#file', bad);
    await page.selectOption('#profile', profile ?? '');
    await page.click('#upload');
    await page.locator('#step2:not([hidden])').waitFor();
    expect(await page.textContent('#preview tbody tr.row-bad')).toContain('Штрихкод: Штрихкод «12AB» должен состоять из 8–14 цифр');
  });
});
