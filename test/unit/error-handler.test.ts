import Fastify from 'fastify';
import { describe, expect, it } from 'vitest';
import { ApiError } from '../../src/domain/errors.js';
import { errorHandler } from '../../src/http/error-handler.js';

describe('error handler', () => {
  const app = Fastify({ logger: false });
  app.setErrorHandler(errorHandler);
  app.get('/boom', async () => {
    throw new Error('SQLITE_CORRUPT: database disk image is malformed at /var/lib/connexa/data.db');
  });
  app.get('/api-error', async () => {
    throw new ApiError(429, 'rate_limited', 'Slow down', undefined, { 'Retry-After': '3' });
  });

  it('maps unknown errors to a generic 500 that says nothing internal', async () => {
    const res = await app.inject({ method: 'GET', url: '/boom' });
    expect(res.statusCode).toBe(500);
    expect(res.json()).toEqual({ error: { code: 'internal_error', message: expect.any(String) } });
    expect(res.body).not.toMatch(/SQLITE|\/var\/lib|malformed/);
  });

  it('passes ApiErrors through with their status, code and headers', async () => {
    const res = await app.inject({ method: 'GET', url: '/api-error' });
    expect(res.statusCode).toBe(429);
    expect(res.headers['retry-after']).toBe('3');
    expect(res.json()).toEqual({ error: { code: 'rate_limited', message: 'Slow down' } });
  });
});
