/**
 * The dashboard in Chromium, as the administrator and as an instance with a
 * webhook: every instance listed; a token rotated from the list (shown once;
 * the old one refused at once, the new one works); a user and an instance
 * created from the form; the cluster view; a webhook saved from the form, its
 * delivery listed and retried to the receiver; axe on each page.
 */
import type { Browser } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ADMIN_TOKEN, basic, startTestGateway, waitFor, type Tenant, type TestGateway } from '../helpers/gateway.js';
import { accessibilityViolations, launchBrowser, openPage, signInAsInstance, type WatchedPage } from '../helpers/browser.js';
import { receiver, type Receiver } from '../helpers/webhook-receiver.js';

let g: TestGateway;
let tenants: Tenant[];
let browser: Browser;
let hook: Receiver;

beforeAll(async () => {
  g = await startTestGateway({ CONNEXA_WEBHOOK_ALLOW_PRIVATE_NETWORKS: 'true', CONNEXA_EVENTS_POLL_MS: '50' });
  tenants = [await g.tenant(), await g.tenant()];
  hook = await receiver();
  browser = await launchBrowser();
});
afterAll(async () => {
  await browser?.close();
  await hook?.close();
  await g?.stop();
});

async function signInAdmin(): Promise<WatchedPage> {
  const w = await openPage(browser);
  await w.page.goto(g.url + '/');
  await w.page.getByLabel('the administrator (admin token)').check();
  await w.page.getByLabel('Admin token', { exact: true }).fill(ADMIN_TOKEN);
  await w.page.getByRole('button', { name: 'Sign in' }).click();
  await w.page.getByRole('heading', { name: 'All instances' }).waitFor();
  return w;
}

describe('the dashboard, signed in as the administrator', () => {
  it('lists every instance and rotates a token, shown once', async () => {
    const w = await signInAdmin();
    const { page } = w;
    for (const t of tenants) await page.locator(`tr[data-instance-id="${t.instanceId}"]`).waitFor();
    expect(await accessibilityViolations(page)).toEqual([]);
    await w.screenshot('admin-instances');
    const t = tenants[0]!;
    await page.getByRole('button', { name: `Rotate token of main (${t.instanceId})` }).click();
    const token = (await page.getByTestId('new-token').textContent()) ?? '';
    expect(token).toMatch(/^cnx_/);
    await w.screenshot('admin-token-rotated');
    expect((await g.get(t, '/api/v1/instance')).status).toBe(401);
    expect((await g.get({ ...t, token, auth: basic(t.userId, token) }, '/api/v1/instance')).status).toBe(200);
    expect(w.requests.some((u) => u.includes(token) || u.includes(ADMIN_TOKEN))).toBe(false);
    // No stream of all instances: it would have every instance's events logged.
    expect(w.requests.some((u) => u.includes('/api/v1/events'))).toBe(false);
    expect(w.problems).toEqual([]);
    await page.context().close();
  });

  it('creates a user and an instance, its token shown once', async () => {
    const w = await signInAdmin();
    const { page } = w;
    await page.getByRole('button', { name: 'New user or instance' }).click();
    await page.getByLabel('User name').fill('Acme');
    await page.getByRole('button', { name: 'Create user' }).click();
    await page.getByText(/User created:/).waitFor();
    expect(await page.getByLabel('user_id').inputValue()).toMatch(/^[0-9a-f-]{36}$/);
    await page.getByLabel('Instance name').fill('support');
    await page.getByRole('button', { name: 'Create instance' }).click();
    const token = (await page.getByTestId('created-token').textContent()) ?? '';
    expect(token).toMatch(/^cnx_/);
    const userId = await page.getByLabel('user_id').inputValue();
    expect((await g.get({ userId, instanceId: '', token, auth: basic(userId, token) }, '/api/v1/instance')).body).toMatchObject({ engine: 'sandbox' });
    expect(await accessibilityViolations(page)).toEqual([]);
    await w.screenshot('admin-created');
    await page.getByRole('button', { name: 'Cluster' }).click();
    await page.getByRole('region', { name: 'Node list' }).waitFor();
    expect(await page.getByRole('region', { name: 'Node list' }).textContent()).toContain('node-1');
    expect(await accessibilityViolations(page)).toEqual([]);
    await w.screenshot('admin-cluster');
    expect(w.problems).toEqual([]);
    await page.context().close();
  });
});

describe('the dashboard, webhooks of an instance', () => {
  it('saves a webhook, lists its delivery and retries it to the receiver', async () => {
    const t = tenants[1]!;
    const w = await openPage(browser);
    const { page } = w;
    await signInAsInstance(page, g.url, t);
    await page.getByRole('button', { name: 'Webhooks' }).click();
    await page.getByLabel('Receiver URL').fill(hook.url);
    await page.getByLabel('message.read').check();
    await page.getByRole('button', { name: 'Save webhook' }).click();
    await page.getByText('Signing secret (shown only now)').waitFor();

    // The receiver takes its time with the first delivery: it ends after the last status event,
    // so the page must notice it by itself.
    hook.answer = (_req, n, res) => void setTimeout(() => res.writeHead(200).end(), n === 1 ? 1_500 : 0);
    const sent = await g.send(t, 'text', { phone: '5544999990001', data: { text: 'to the webhook' } });
    expect(sent.status).toBe(200);
    await waitFor(async () => (hook.got.length >= 1 ? true : undefined), 10_000, 'the first delivery');
    const row = page.locator('tr[data-delivery-id]').first();
    await row.locator('.badge-delivered').waitFor();
    expect(await row.locator('td').nth(1).textContent()).toBe('message.read');
    expect(await accessibilityViolations(page)).toEqual([]);
    await w.screenshot('webhook-delivered');

    const id = await row.getAttribute('data-delivery-id');
    await page.getByRole('button', { name: `Retry delivery ${id}` }).click();
    await waitFor(async () => (hook.got.length >= 2 ? true : undefined), 10_000, 'the retried delivery');
    expect(hook.got.map((r) => r.type)).toEqual(['message.read', 'message.read']);
    expect(hook.got[1]!.id).toBe(hook.got[0]!.id);
    await page.getByText(`Delivery ${id} will be tried again now.`).waitFor();
    await w.screenshot('webhook-retried');
    expect(w.problems).toEqual([]);
    await page.context().close();
  });
});
