/**
 * The API reference as a person sees it: /docs rendered in Chromium lists every
 * operation of /openapi.json (which test/e2e/openapi.test.ts checks against the
 * server's routes), with no page error and no script blocked by its policy.
 */
import type { Browser } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestGateway, type TestGateway } from '../helpers/gateway.js';
import { launchBrowser, openPage } from '../helpers/browser.js';

let g: TestGateway;
let browser: Browser;

beforeAll(async () => {
  g = await startTestGateway();
  browser = await launchBrowser();
});
afterAll(async () => {
  await browser?.close();
  await g?.stop();
});

describe('/docs', () => {
  it('lists every operation of the OpenAPI document', async () => {
    const doc = (await (await fetch(`${g.url}/openapi.json`)).json()) as { paths: Record<string, Record<string, unknown>> };
    const expected = Object.entries(doc.paths)
      .flatMap(([p, ops]) => Object.keys(ops).map((m) => `${m.toUpperCase()} ${p}`))
      .sort();
    expect(expected).toContain('GET /api/v1/events');
    const w = await openPage(browser);
    await w.page.goto(`${g.url}/docs`);
    await w.page.locator('.opblock').first().waitFor();
    const shown = (
      await w.page.$$eval('.opblock-summary', (blocks) =>
        blocks.map(
          (b) =>
            `${b.querySelector('.opblock-summary-method')?.textContent ?? ''} ${b.querySelector('.opblock-summary-path')?.getAttribute('data-path') ?? ''}`,
        ),
      )
    ).sort();
    expect(shown).toEqual(expected);
    await w.screenshot('docs');
    // Swagger UI sets one inline style that @fastify/swagger-ui's own strict policy blocks; the page works without it.
    expect(w.problems.filter((p) => !p.startsWith('Applying inline style violates'))).toEqual([]);
    await w.page.context().close();
  });
});
