/**
 * The dashboard in Chromium, signed in as a sandbox instance: every message
 * type sent from the form (files read into base64), each badge reaching `read`
 * in the message log without a reload (the live event stream), the timeline,
 * the sandbox inbox, a phone-sized screen; no Content-Security-Policy
 * violation, no token in an address or in local storage; axe finds no serious
 * or critical violation on the main pages.
 */
import fs from 'node:fs';
import path from 'node:path';
import type { Browser } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestGateway, tempDir, type Tenant, type TestGateway } from '../helpers/gateway.js';
import { accessibilityViolations, launchBrowser, openPage, type WatchedPage } from '../helpers/browser.js';
import { isoBmff, opus, pdf, png } from '../media/media-samples.js';

let g: TestGateway;
let t: Tenant;
let browser: Browser;
let w: WatchedPage;
let files: string;

beforeAll(async () => {
  // Slow enough to see each message before it is read.
  g = await startTestGateway({ CONNEXA_SANDBOX_DELIVER_MS: '3000', CONNEXA_SANDBOX_READ_MS: '6000', CONNEXA_EVENTS_POLL_MS: '50' });
  t = await g.tenant();
  files = tempDir('connexa-browser-files-');
  const samples: [string, Uint8Array][] = [
    ['photo.png', png()],
    ['clip.mp4', isoBmff('isom')],
    ['voice.ogg', opus()],
    ['report.pdf', pdf()],
  ];
  for (const [name, bytes] of samples) fs.writeFileSync(path.join(files, name), bytes);
  browser = await launchBrowser();
  w = await openPage(browser);
});
afterAll(async () => {
  await browser?.close();
  await g?.stop();
  fs.rmSync(files, { recursive: true, force: true });
});

describe('the dashboard, signed in as an instance', () => {
  it('signs in with user_id and instance_token and shows the state', async () => {
    const { page } = w;
    await page.goto(g.url + '/');
    expect(await accessibilityViolations(page)).toEqual([]);
    await w.screenshot('sign-in');
    await page.getByLabel('user_id', { exact: true }).fill(t.userId);
    await page.getByLabel('instance_token', { exact: true }).fill(t.token);
    await page.getByRole('button', { name: 'Sign in' }).click();
    await page.getByRole('heading', { name: 'State' }).waitFor();
    await page.locator('.live-live').waitFor();
    expect(await page.locator('.facts .badge').first().textContent()).toBe('connected');
    expect(await accessibilityViolations(page)).toEqual([]);
    await w.screenshot('instance-status');
    // The token stays in this tab's session storage, never in local storage or an address.
    expect(await page.evaluate('localStorage.length')).toBe(0);
    expect(await page.evaluate("sessionStorage.getItem('connexa.credentials')")).toContain(t.token);
  });

  it('sends each of the five types and watches every badge reach read without a reload', async () => {
    const { page } = w;
    await page.evaluate("window.marker = 'no reload'");
    await page.getByRole('button', { name: 'Send', exact: true }).click();
    const ids: string[] = [];
    const send = async (type: string, fill: () => Promise<void>) => {
      await page.getByLabel('Type').selectOption(type);
      await page.getByLabel('Phone (country code and number)').fill('5544999990001');
      await fill();
      const before = await page
        .getByTestId('sent-id')
        .textContent({ timeout: 50 })
        .catch(() => null);
      await page.getByRole('button', { name: 'Send', exact: true }).last().click();
      await expect
        .poll(() =>
          page
            .getByTestId('sent-id')
            .textContent({ timeout: 100 })
            .catch(() => null),
        )
        .not.toBe(before);
      ids.push((await page.getByTestId('sent-id').textContent()) ?? '');
    };
    const attach = (name: string) => async () => {
      await page.getByLabel('a file (sent as base64)').check();
      await page.getByLabel('File', { exact: true }).setInputFiles(path.join(files, name));
    };
    await send('text', () => page.getByLabel('Text', { exact: true }).fill('Hello from the dashboard'));
    await send('image', attach('photo.png'));
    await send('video', attach('clip.mp4'));
    await send('audio', attach('voice.ogg'));
    await send('document', async () => {
      await attach('report.pdf')();
      await page.getByLabel('File name (optional)').fill('report.pdf');
    });
    expect(new Set(ids).size).toBe(5);
    expect(await accessibilityViolations(page)).toEqual([]);
    await w.screenshot('send-form');

    await page.getByRole('button', { name: 'Messages' }).click();
    const badge = (id: string) => page.locator(`tr[data-message-id="${id}"] .badge`);
    for (const id of ids) await badge(id).waitFor();
    // The last one was sent a moment ago (the sandbox reads it 6 s after): its badge must move while we watch.
    expect(await badge(ids.at(-1)!).textContent()).not.toBe('read');
    await w.screenshot('messages-before-read');
    for (const id of ids) await page.waitForSelector(`tr[data-message-id="${id}"] .badge-read`, { timeout: 20_000 });
    expect(await page.evaluate('window.marker')).toBe('no reload');
    const types = await Promise.all(ids.map((id) => page.locator(`tr[data-message-id="${id}"] td`).nth(2).textContent()));
    expect(types).toEqual(['text', 'image', 'video', 'audio', 'document']);
    const api = await Promise.all(ids.map(async (id) => (await g.get(t, `/api/v1/message/${id}`)).body.status));
    expect(api).toEqual(['read', 'read', 'read', 'read', 'read']);

    await page.locator(`tr[data-message-id="${ids[0]}"]`).getByRole('button', { name: 'Timeline' }).click();
    await page.locator(`tr[data-message-id="${ids[0]}"] .timeline .badge-read`).waitFor();
    expect(await accessibilityViolations(page)).toEqual([]);
    await w.screenshot('messages-read');
  });

  it('shows what the sandbox received', async () => {
    const { page } = w;
    await page.getByRole('button', { name: 'Sandbox inbox' }).click();
    await page.getByRole('region', { name: 'Sandbox inbox' }).waitFor();
    // The text typed first stayed as the caption of the media; audio's follows as a second part.
    expect(await page.locator('.table-frame tbody tr').count()).toBe(6);
    expect(await accessibilityViolations(page)).toEqual([]);
    await w.screenshot('sandbox-inbox');
  });

  it('works on a phone-sized screen', async () => {
    const phone = await openPage(browser, { width: 390, height: 844 });
    await phone.page.goto(g.url + '/');
    await phone.page.getByLabel('user_id', { exact: true }).fill(t.userId);
    await phone.page.getByLabel('instance_token', { exact: true }).fill(t.token);
    await phone.page.keyboard.press('Enter');
    await phone.page.getByRole('heading', { name: 'State' }).waitFor();
    await phone.page.getByRole('button', { name: 'Messages' }).click();
    await phone.page.locator('.badge-read').first().waitFor();
    const overflow = await phone.page.evaluate('document.documentElement.scrollWidth - document.documentElement.clientWidth');
    expect(overflow).toBeLessThanOrEqual(0);
    expect(await accessibilityViolations(phone.page)).toEqual([]);
    await phone.screenshot('phone-messages');
    expect(phone.problems).toEqual([]);
    await phone.page.context().close();
  });

  it('is usable with the keyboard alone', async () => {
    // A message of its own, so the log has a timeline to open.
    expect((await g.send(t, 'text', { phone: '5544999990002', data: { text: 'for the keyboard' } })).status).toBe(200);
    const k = await openPage(browser);
    const { page } = k;
    await page.goto(g.url + '/');
    // What has the focus now (read at once: nothing may have it between two presses).
    const focusedName = async () => String(await page.evaluate("document.activeElement?.getAttribute('name') ?? ''"));
    const focusedText = async () => String(await page.evaluate("document.activeElement?.textContent ?? ''"));
    // Tab until `match` has the focus (a bounded number of presses), as a keyboard user would.
    const tabTo = async (match: () => Promise<boolean>) => {
      for (let i = 0; i < 30; i++) {
        await page.keyboard.press('Tab');
        if (await match()) return;
      }
      throw new Error('never reached by Tab');
    };
    await tabTo(async () => (await focusedName()) === 'user_id');
    await page.keyboard.type(t.userId);
    await page.keyboard.press('Tab');
    expect(await focusedName()).toBe('token');
    await page.keyboard.type(t.token);
    await page.keyboard.press('Enter');
    await page.getByRole('heading', { name: 'State' }).waitFor();
    await tabTo(async () => (await focusedText()) === 'Messages');
    await page.keyboard.press('Enter');
    await page.getByRole('heading', { name: 'Message log' }).waitFor();
    await page.locator('tr[data-message-id]').first().waitFor();
    await tabTo(async () => (await focusedText()) === 'Timeline');
    await page.keyboard.press('Enter');
    await page.locator('.timeline').first().waitFor();
    expect(k.problems).toEqual([]);
    await page.context().close();
  });

  it('kept to its policy: no CSP violation or page error, no token in an address', () => {
    expect(w.problems).toEqual([]);
    expect(w.requests.length).toBeGreaterThan(5);
    for (const url of w.requests) {
      expect(url).not.toContain(t.token);
      expect(url.startsWith(g.url)).toBe(true);
    }
  });
});
