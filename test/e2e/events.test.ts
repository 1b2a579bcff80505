/**
 * GET /api/v1/events through the real server: an instance's webhook envelopes
 * as server-sent events, the log's id on each; a client that drops and
 * reconnects with Last-Event-ID gets exactly what it missed (checked against a
 * stream that stayed open); another instance's events never show; the admin
 * token sees every instance; bad input is a clear error; a stream ends when
 * its credentials stop holding; streams per instance are capped.
 */
import net from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ADMIN_TOKEN, startTestGateway, waitFor, waitForStatus, type Tenant, type TestGateway } from '../helpers/gateway.js';
import { openEventStream, type EventStream } from '../helpers/sse.js';

let g: TestGateway;
let t: Tenant;
const ADMIN = `Bearer ${ADMIN_TOKEN}`;
const open: EventStream[] = [];

const stream = async (auth: string, lastEventId?: number, query = ''): Promise<EventStream> => {
  const s = await openEventStream(g.url, auth, lastEventId, query);
  open.push(s);
  return s;
};
const sendText = async (who: Tenant, text: string): Promise<string> => {
  const r = await g.send(who, 'text', { phone: '5544999990001', data: { text } });
  expect(r.status).toBe(200);
  return r.body.message_id ?? '';
};

beforeAll(async () => {
  g = await startTestGateway({ CONNEXA_EVENTS_MAX_STREAMS_PER_INSTANCE: '3', CONNEXA_EVENTS_RECHECK_MS: '100', CONNEXA_EVENTS_POLL_MS: '20' });
  t = await g.tenant();
});
afterAll(async () => {
  for (const s of open) s.close();
  await g.stop();
});

describe('GET /api/v1/events', () => {
  it('streams the instance statuses as the webhook envelopes, each with its place in the log as id', async () => {
    const s = await stream(t.auth);
    const id = await sendText(t, 'hello');
    const got = await s.waitForCount(3);
    expect(got.map((e) => e.type)).toEqual(['message.sent', 'message.delivered', 'message.read']);
    expect(got.map((e) => e.body.type)).toEqual(got.map((e) => e.type));
    for (const e of got) expect(e.body).toMatchObject({ instance_id: t.instanceId, data: { message_id: id, phone: '5544999990001', type: 'text' } });
    expect(got[1]!.id).toBeGreaterThan(got[0]!.id);
    const rows = await g.query<{ id: number; body: string }>('SELECT id, body FROM event_log WHERE instance_id = ? ORDER BY id', [t.instanceId]);
    expect(rows.map((r) => ({ id: Number(r.id), body: JSON.parse(r.body) as unknown }))).toEqual(got.map((e) => ({ id: e.id, body: e.body })));
    s.close();
  });

  it('resumes after a dropped connection with Last-Event-ID: nothing missed, nothing twice', async () => {
    const u = await g.tenant();
    const first = await stream(u.auth);
    for (let i = 0; i < 3; i++) await sendText(u, `before ${i}`);
    await first.waitForCount(2);
    first.close();
    await first.ended;
    const seen = [...first.events];
    // Nobody streams the instance now: its events are still logged for the client to come back to.
    const ids: string[] = [];
    for (let i = 0; i < 3; i++) ids.push(await sendText(u, `while away ${i}`));
    for (const id of ids) await waitForStatus(g, u, id, ['read']);
    const logged = await g.query<{ id: number; body: string }>('SELECT id, body FROM event_log WHERE instance_id = ? ORDER BY id', [u.instanceId]);
    expect(logged).toHaveLength(18);
    const resumed = await stream(u.auth, seen.at(-1)!.id);
    await resumed.waitForCount(18 - seen.length);
    // A moment more: nothing beyond the log may arrive.
    await new Promise((r) => setTimeout(r, 200));
    expect([...seen, ...resumed.events].map((e) => e.id)).toEqual(logged.map((r) => Number(r.id)));
    expect([...seen, ...resumed.events].map((e) => e.body)).toEqual(logged.map((r) => JSON.parse(r.body) as unknown));
    expect(seen.length).toBeLessThan(18);
  });

  it('writes no event to the log for an instance nobody streams (webhooks still get theirs)', async () => {
    const quiet = await g.tenant();
    const id = await sendText(quiet, 'unstreamed');
    await waitForStatus(g, quiet, id, ['read']);
    expect(await g.query('SELECT id FROM event_log WHERE instance_id = ?', [quiet.instanceId])).toEqual([]);
    // Once streamed, its events are logged.
    const s = await stream(quiet.auth);
    await sendText(quiet, 'streamed');
    await s.waitForCount(3);
    expect(await g.query('SELECT id FROM event_log WHERE instance_id = ?', [quiet.instanceId])).toHaveLength(3);
    s.close();
  });

  it("never shows another instance's events; the admin token sees every instance", async () => {
    const other = await g.tenant();
    const mine = await stream(t.auth);
    const all = await stream(ADMIN);
    const theirs = await sendText(other, 'not yours');
    const own = await sendText(t, 'yours');
    await all.waitForCount(6);
    await mine.waitForCount(3);
    await new Promise((r) => setTimeout(r, 200));
    expect(new Set(mine.events.map((e) => e.body.data['message_id']))).toEqual(new Set([own]));
    expect(new Set(all.events.map((e) => e.body.data['message_id']))).toEqual(new Set([own, theirs]));
    mine.close();
    all.close();
  });

  it('refuses bad input with a clear error', async () => {
    const res = await fetch(`${g.url}/api/v1/events`, { headers: { authorization: t.auth, 'last-event-id': 'abc' } });
    expect(res.status).toBe(400);
    expect(await res.json()).toMatchObject({ error: { code: 'invalid_last_event_id', details: [{ field: 'Last-Event-ID' }] } });
    const scoped = await openEventStream(g.url, t.auth, undefined, `?instance_id=${t.instanceId}`);
    expect(scoped.status).toBe(400);
    expect(scoped.error).toMatchObject({ error: { code: 'not_allowed', details: [{ field: 'instance_id' }] } });
    const notAnId = await openEventStream(g.url, ADMIN, undefined, '?instance_id=nope');
    expect(notAnId.status).toBe(400);
    expect((await openEventStream(g.url, '')).status).toBe(401);
    expect((await openEventStream(g.url, 'Bearer wrong-token')).status).toBe(401);
    expect((await openEventStream(g.url, `Basic ${Buffer.from(`${t.userId}:cnx_wrong`).toString('base64')}`)).status).toBe(401);
  });

  it('caps the streams of one instance', async () => {
    const u = await g.tenant();
    const three = [await stream(u.auth), await stream(u.auth), await stream(u.auth)];
    const fourth = await openEventStream(g.url, u.auth);
    expect(fourth.status).toBe(429);
    expect(fourth.error).toMatchObject({ error: { code: 'too_many_streams' } });
    three[0]!.close();
    await three[0]!.ended;
    // The server lets go of the closed stream as soon as it sees the connection end.
    const again = await waitFor(async () => {
      const s = await stream(u.auth);
      return s.status === 200 ? s : undefined;
    });
    expect(again.status).toBe(200);
  });

  it('ends open streams when the gateway stops, without holding the shutdown', async () => {
    // A held stream, or a connection left open without a request, would keep the shutdown waiting past the test's timeout.
    const other = await startTestGateway({ CONNEXA_EVENTS_POLL_MS: '20', CONNEXA_SHUTDOWN_GRACE_MS: '120000', CONNEXA_HTTP_IDLE_TIMEOUT_S: '120' });
    const u = await other.tenant();
    const dropped = await openEventStream(other.url, u.auth);
    dropped.close();
    const s = await openEventStream(other.url, u.auth);
    open.push(s);
    const silent = net.connect(Number(new URL(other.url).port), '127.0.0.1');
    await new Promise((resolve) => silent.once('connect', resolve));
    await other.stop();
    silent.destroy();
    await s.ended;
    expect(s.notices).toEqual([]);
  });

  it('ends the stream once its credentials stop holding (instance deleted)', async () => {
    const u = await g.tenant();
    const s = await stream(u.auth);
    const res = await fetch(`${g.url}/api/v1/admin/instances/${u.instanceId}`, { method: 'DELETE', headers: { authorization: ADMIN } });
    expect(res.status).toBe(204);
    await s.ended;
    expect(s.notices.map((n) => [n.event, JSON.parse(n.data) as unknown])).toEqual([['stream.closed', { reason: 'credentials_revoked' }]]);
  });
});
