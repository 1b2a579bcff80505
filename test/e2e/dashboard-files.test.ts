/**
 * The dashboard's files as the server sends them (built by `npm run build`):
 * the page under a strict Content-Security-Policy (no inline code, no other
 * origin, no framing), its hashed assets cached for good, an unknown asset a
 * 404 in the API's error shape. What the page does is tested in Chromium
 * (test/browser/).
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestGateway, type TestGateway } from '../helpers/gateway.js';

let g: TestGateway;
beforeAll(async () => {
  g = await startTestGateway();
});
afterAll(() => g.stop());

describe('the dashboard files', () => {
  it('serve the page under a strict policy, and its hashed assets', async () => {
    const page = await fetch(`${g.url}/`);
    expect(page.status).toBe(200);
    expect(page.headers.get('content-type')).toBe('text/html; charset=utf-8');
    const csp = page.headers.get('content-security-policy') ?? '';
    expect(csp).toContain("default-src 'none'");
    expect(csp).toContain("script-src 'self'");
    expect(csp).toContain("frame-ancestors 'none'");
    expect(csp).not.toContain('unsafe');
    expect(page.headers.get('x-content-type-options')).toBe('nosniff');
    const html = await page.text();
    expect(html).not.toMatch(/<script>|<style>| style="| on[a-z]+="/);
    const assets = [...html.matchAll(/\/assets\/app\.[0-9a-f]{12}\.(js|css)/g)].map((m) => m[0]);
    expect(assets).toHaveLength(2);
    for (const asset of assets) {
      const res = await fetch(g.url + asset);
      expect(res.status).toBe(200);
      expect(res.headers.get('cache-control')).toContain('immutable');
      expect(res.headers.get('content-security-policy')).toBe(csp);
    }
  });

  it('answer an unknown asset with a 404 in the error shape', async () => {
    const res = await fetch(`${g.url}/assets/app.000000000000.js`);
    expect(res.status).toBe(404);
    expect(await res.json()).toMatchObject({ error: { code: 'not_found' } });
  });
});
