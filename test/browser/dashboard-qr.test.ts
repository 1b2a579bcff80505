/**
 * Linking a WhatsApp number from the dashboard, in Chromium, on a real Baileys
 * socket against the fake WhatsApp server: the button starts the session, the
 * QR code Baileys makes from the server's refs is rendered, and once the phone
 * "scans" it the page shows the linked number, without a reload (the event
 * stream's instance events); axe on both states.
 */
import type { Browser } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { FakeWhatsAppServer } from '../fakes/whatsapp-server.js';
import { startTestGateway, waitFor, type Tenant, type TestGateway } from '../helpers/gateway.js';
import { accessibilityViolations, launchBrowser, naturalWidth, openPage, signInAsInstance } from '../helpers/browser.js';

const OWN = '5544000000000';
let wa: FakeWhatsAppServer;
let g: TestGateway;
let t: Tenant;
let browser: Browser;

beforeAll(async () => {
  wa = await FakeWhatsAppServer.start();
  g = await startTestGateway({ CONNEXA_WHATSAPP_WS_URL: wa.url, CONNEXA_WHATSAPP_START_STAGGER_MS: '0', CONNEXA_EVENTS_POLL_MS: '50' });
  t = await g.tenant('baileys');
  browser = await launchBrowser();
});
afterAll(async () => {
  await browser?.close();
  await g?.stop();
  await wa?.close();
});

describe('linking a number from the dashboard', () => {
  it('renders the QR code, then shows the linked number without a reload', async () => {
    const w = await openPage(browser);
    const { page } = w;
    await signInAsInstance(page, g.url, t);
    await page.evaluate("window.marker = 'no reload'");

    const registering = wa.nextConnection();
    await page.getByRole('button', { name: 'Link a phone (show the QR code)' }).click();
    const conn = await registering;
    conn.pairDevice(['ref-one']);
    const img = page.getByRole('img', { name: 'QR code to link WhatsApp' });
    await img.waitFor();
    await expect.poll(() => naturalWidth(img)).toBe(320);
    expect(await accessibilityViolations(page)).toEqual([]);
    await w.screenshot('link-qr');

    // A new code (here: the connection restarted, the server sends new refs) replaces the one shown, live.
    const firstSrc = await img.getAttribute('src');
    const reconnecting = wa.nextConnection();
    await page.getByRole('button', { name: 'Restart connection' }).click();
    const conn2 = await reconnecting;
    conn2.pairDevice(['ref-two']);
    const qr = await waitFor(async () => {
      const r = await g.get(t, '/api/v1/instance/qr');
      return typeof r.body['code'] === 'string' && r.body['code'].includes('ref-two') ? r.body['code'] : undefined;
    });
    await expect.poll(() => img.getAttribute('src'), { timeout: 10_000 }).not.toBe(firstSrc);
    await expect.poll(() => naturalWidth(img)).toBe(320);
    await w.screenshot('link-qr-rotated');

    // The phone scans the code the API shows (the same one the image carries).
    const login = wa.nextConnection();
    await conn2.pairSuccess(qr, OWN);
    (await login).loginSuccess();

    await page
      .getByTestId('linked-phone')
      .filter({ hasText: `+${OWN}` })
      .waitFor({ timeout: 20_000 });
    await page.locator('.facts .badge-connected').waitFor();
    expect(await img.count()).toBe(0);
    expect(await page.evaluate('window.marker')).toBe('no reload');
    expect(await accessibilityViolations(page)).toEqual([]);
    await w.screenshot('link-connected');
    expect(w.problems).toEqual([]);
    await page.context().close();
  });
});
