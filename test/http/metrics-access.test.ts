/** Who may read /metrics: the token when set; without one, only a gateway on loopback serves it. */
import Fastify from 'fastify';
import { describe, expect, it } from 'vitest';
import { AuthFailures } from '../../src/http/auth-failures.js';
import { errorHandler } from '../../src/http/error-handler.js';
import { isLoopback } from '../../src/http/loopback.js';
import { metricsRoutes } from '../../src/http/routes/metrics.js';
import { Metrics } from '../../src/metrics/metrics.js';

async function app(token: string | undefined, loopbackOnly: boolean) {
  const a = Fastify();
  a.setErrorHandler(errorHandler);
  const metrics = new Metrics({ queues: async () => [], instanceStates: async () => [] });
  metricsRoutes(a, { metrics, token, loopbackOnly, tokenFailures: new AuthFailures({ maxFailures: 2, windowSeconds: 60, lockoutDelayMs: 0 }) });
  await a.ready();
  return a;
}

describe('/metrics access', () => {
  it('listening beyond loopback without a token: 403 metrics_token_required', async () => {
    const a = await app(undefined, false);
    const r = await a.inject({ url: '/metrics' });
    expect(r.statusCode).toBe(403);
    expect(r.json()).toMatchObject({ error: { code: 'metrics_token_required' } });
  });

  it('on loopback without a token: open', async () => {
    const a = await app(undefined, true);
    expect((await a.inject({ url: '/metrics' })).statusCode).toBe(200);
  });

  it('with a token: required; wrong ones throttled (429), the right one still works', async () => {
    const a = await app('metrics-token-0123456789', false);
    expect((await a.inject({ url: '/metrics' })).statusCode).toBe(401);
    const wrong = { authorization: 'Bearer nope' };
    expect((await a.inject({ url: '/metrics', headers: wrong })).statusCode).toBe(401);
    expect((await a.inject({ url: '/metrics', headers: wrong })).statusCode).toBe(401);
    expect((await a.inject({ url: '/metrics', headers: wrong })).statusCode).toBe(429);
    expect((await a.inject({ url: '/metrics', headers: { authorization: 'Bearer metrics-token-0123456789' } })).statusCode).toBe(200);
  });

  it('knows loopback addresses', () => {
    for (const h of ['127.0.0.1', '127.1.2.3', '::1', 'localhost', '::ffff:127.0.0.1']) expect(isLoopback(h)).toBe(true);
    for (const h of ['0.0.0.0', '::', '10.0.0.1', '192.168.1.2', 'example.com']) expect(isLoopback(h)).toBe(false);
  });
});
