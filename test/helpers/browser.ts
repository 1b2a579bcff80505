/**
 * Debian's Chromium, headless, driven by playwright-core; screenshots go to
 * test-artifacts/screenshots. A page fails its test on a Content-Security-
 * Policy violation or page error, and the addresses it requested are kept (a
 * token must never appear in one).
 */
import fs from 'node:fs';
import path from 'node:path';
import { chromium, type Browser, type Locator, type Page } from 'playwright-core';

export const SCREENSHOTS = path.resolve('test-artifacts', 'screenshots');
const FLAGS = [
  '--headless',
  '--no-sandbox',
  '--disable-gpu',
  '--disable-quic',
  '--no-first-run',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
];

export function launchBrowser(): Promise<Browser> {
  return chromium.launch({ executablePath: process.env['CONNEXA_TEST_CHROMIUM'] ?? '/usr/bin/chromium', args: FLAGS, timeout: 30_000 });
}

/** Answers the dashboard expects as part of its work: no webhook set yet, a QR code not ready. */
function expectedRefusal(status: number, pathname: string): boolean {
  return (status === 404 && pathname === '/api/v1/instance/webhook') || (status === 409 && pathname === '/api/v1/instance/qr');
}

export interface WatchedPage {
  page: Page;
  /** Console errors, page errors (CSP violations among them) and refused requests the dashboard does not expect. */
  problems: string[];
  /** Every address the page requested. */
  requests: string[];
  screenshot(name: string): Promise<void>;
}

export async function openPage(browser: Browser, viewport = { width: 1280, height: 900 }): Promise<WatchedPage> {
  const context = await browser.newContext({ viewport });
  const page = await context.newPage();
  page.setDefaultTimeout(15_000);
  const problems: string[] = [];
  const requests: string[] = [];
  page.on('console', (m) => {
    // Failed requests are judged below by their answer.
    if (m.type() === 'error' && !m.text().startsWith('Failed to load resource')) problems.push(m.text());
  });
  page.on('response', (r) => {
    if (r.status() >= 400 && !expectedRefusal(r.status(), new URL(r.url()).pathname)) problems.push(`${r.status()} ${r.url()}`);
  });
  page.on('pageerror', (e) => problems.push(e.message));
  page.on('request', (r) => requests.push(r.url()));
  // Confirmations (delete, rotate, log out) are accepted, as a person would.
  page.on('dialog', (d) => void d.accept());
  fs.mkdirSync(SCREENSHOTS, { recursive: true });
  return {
    page,
    problems,
    requests,
    screenshot: async (name) => {
      await page.screenshot({ path: path.join(SCREENSHOTS, `${name}.png`), fullPage: true });
    },
  };
}

/** axe-core's serious and critical violations on the page as it is now. */
export async function accessibilityViolations(page: Page): Promise<{ id: string; impact: string; help: string; targets: string[] }[]> {
  const source = fs.readFileSync(path.resolve('node_modules/axe-core/axe.min.js'), 'utf8');
  // Evaluated through the DevTools protocol, which the page's CSP does not govern.
  await page.evaluate(source);
  const result = (await page.evaluate("axe.run(document, { resultTypes: ['violations'] })")) as {
    violations: { id: string; impact: string | null; help: string; nodes: { target: string[] }[] }[];
  };
  return result.violations
    .filter((v) => v.impact === 'serious' || v.impact === 'critical')
    .map((v) => ({ id: v.id, impact: v.impact ?? '', help: v.help, targets: v.nodes.map((n) => n.target.join(' ')) }));
}

/**
 * The natural width of an image (0 until it has loaded). Waits poll from the
 * test through the DevTools protocol: a string predicate run in the page
 * would need eval, which the dashboard's policy forbids.
 */
export function naturalWidth(img: Locator): Promise<number> {
  return img.evaluate((el) => (el as unknown as { naturalWidth: number }).naturalWidth);
}

/** Opens the dashboard and signs in with an instance's credentials, as a person would; resolves once its state shows. */
export async function signInAsInstance(page: Page, url: string, t: { userId: string; token: string }): Promise<void> {
  await page.goto(url + '/');
  await page.getByLabel('user_id', { exact: true }).fill(t.userId);
  await page.getByLabel('instance_token', { exact: true }).fill(t.token);
  await page.getByRole('button', { name: 'Sign in' }).click();
  await page.getByRole('heading', { name: 'State' }).waitFor();
}
