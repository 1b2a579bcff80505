/**
 * The admin's instance list and token rotation through the real server: every
 * instance with its user and state, newest first, paged without repeats or
 * gaps; a rotated token is shown once, the old one stops working at once
 * (cached credentials too) and its open event stream ends; bad input is a 400
 * naming the field.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ADMIN_TOKEN, basic, startTestGateway, type Tenant, type TestGateway } from '../helpers/gateway.js';
import { openEventStream } from '../helpers/sse.js';

let g: TestGateway;
const tenants: Tenant[] = [];
const admin = async (method: string, path: string): Promise<{ status: number; body: Record<string, unknown> }> => {
  const res = await fetch(g.url + path, { method, headers: { authorization: `Bearer ${ADMIN_TOKEN}` } });
  return { status: res.status, body: (await res.json()) as Record<string, unknown> };
};

beforeAll(async () => {
  g = await startTestGateway({ CONNEXA_EVENTS_RECHECK_MS: '100' });
  for (let i = 0; i < 5; i++) tenants.push(await g.tenant());
});
afterAll(() => g.stop());

describe('the admin instance list', () => {
  it('lists every instance newest first with its user and state, paged', async () => {
    const seen: string[] = [];
    let cursor: string | null = null;
    do {
      const r = await admin('GET', `/api/v1/admin/instances?limit=2${cursor === null ? '' : `&cursor=${cursor}`}`);
      expect(r.status).toBe(200);
      const page = r.body['instances'] as { instance_id: string; user_id: string; user_name: string; engine: string; state: string }[];
      expect(page.length).toBeLessThanOrEqual(2);
      seen.push(...page.map((p) => p.instance_id));
      cursor = r.body['next_cursor'] as string | null;
    } while (cursor !== null);
    expect(seen).toEqual(tenants.map((t) => t.instanceId).reverse());
    const one = await admin('GET', `/api/v1/admin/instances?user_id=${tenants[0]!.userId}`);
    expect(one.body['instances']).toEqual([
      expect.objectContaining({
        instance_id: tenants[0]!.instanceId,
        user_id: tenants[0]!.userId,
        user_name: 'Test',
        engine: 'sandbox',
        name: 'main',
        state: 'connected',
      }),
    ]);
  });

  it('refuses bad paging and a wrong token', async () => {
    expect((await admin('GET', '/api/v1/admin/instances?limit=0')).body).toMatchObject({ error: { code: 'invalid_limit', details: [{ field: 'limit' }] } });
    expect((await admin('GET', '/api/v1/admin/instances?cursor=nope')).body).toMatchObject({
      error: { code: 'invalid_cursor', details: [{ field: 'cursor' }] },
    });
    const res = await fetch(`${g.url}/api/v1/admin/instances`, { headers: { authorization: 'Bearer wrong' } });
    expect(res.status).toBe(401);
  });
});

describe('token rotation', () => {
  it('shows the new token once; the old one stops working at once and its event stream ends', async () => {
    const t = tenants[1]!;
    // The old credentials are cached by a first call.
    expect((await g.get(t, '/api/v1/instance')).status).toBe(200);
    const stream = await openEventStream(g.url, t.auth);
    const r = await admin('POST', `/api/v1/admin/instances/${t.instanceId}/token`);
    expect(r.status).toBe(200);
    const token = r.body['instance_token'] as string;
    expect(token).toMatch(/^cnx_/);
    expect(token).not.toBe(t.token);
    expect((await g.get(t, '/api/v1/instance')).status).toBe(401);
    const fresh = { ...t, token, auth: basic(t.userId, token) };
    expect((await g.get(fresh, '/api/v1/instance')).status).toBe(200);
    expect((await g.send(fresh, 'text', { phone: '5544999990001', data: { text: 'after rotation' } })).status).toBe(200);
    await stream.ended;
    expect(stream.notices.map((n) => n.event)).toEqual(['stream.closed']);
    // Nowhere else: the instance view shows no token.
    expect(JSON.stringify((await admin('GET', '/api/v1/admin/instances')).body)).not.toContain(token);
  });

  it('is a 404 for an unknown instance', async () => {
    const r = await admin('POST', '/api/v1/admin/instances/00000000-0000-4000-8000-000000000000/token');
    expect(r.status).toBe(404);
    expect(r.body).toMatchObject({ error: { code: 'instance_not_found' } });
  });
});
