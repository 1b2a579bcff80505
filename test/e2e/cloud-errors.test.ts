/**
 * Every error row of the Cloud API reference, through the real gateway and
 * the fake Graph server, ends in its documented Connexa outcome: permanent
 * refusals fail the message with Connexa's code and Meta's reason, the
 * transient ones are retried and go out, 131056 holds back only that
 * recipient, failures reported after a 200 fail the message then, and a
 * rejected token (190) puts the instance in `failed` / `token_invalid` with
 * its messages waiting until `PATCH` gives it a new token.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { FakeGraphServer } from '../fakes/graph/server.js';
import { ADMIN_TOKEN, waitFor, waitForStatus, type Tenant, type TestGateway } from '../helpers/gateway.js';
import { cloudConfig, startCloudGateway, type CloudSetup } from '../helpers/cloud.js';
import { png } from '../media/media-samples.js';

let g: TestGateway;
let graph: FakeGraphServer;
let t: Tenant;
let n = 0;
/** A recipient of its own for each case (scripted failures are per recipient). */
const nextPhone = () => `55449800${String(++n).padStart(5, '0')}`;

let setup: CloudSetup;
beforeAll(async () => {
  setup = await startCloudGateway();
  ({ g, graph, t } = setup);
});
afterAll(() => setup.stop());

async function sendTo(phone: string, text = 'hello'): Promise<string> {
  const r = await g.send(t, 'text', { phone, data: { text } });
  expect(r.status).toBe(200);
  return r.body.message_id ?? '';
}

function patch(instanceId: string, config: unknown): Promise<Response> {
  return fetch(`${g.url}/api/v1/admin/instances/${instanceId}`, {
    method: 'PATCH',
    headers: { authorization: `Bearer ${ADMIN_TOKEN}`, 'content-type': 'application/json' },
    body: JSON.stringify({ config }),
  });
}

const PERMANENT: [number, string][] = [
  [100, 'provider_rejected'],
  [131008, 'provider_rejected'],
  [131009, 'provider_rejected'],
  [131051, 'provider_rejected'],
  [131026, 'recipient_not_on_whatsapp'],
  [131047, 'outside_customer_window'],
  [131053, 'media_rejected'],
  [368, 'policy_blocked'],
  [131031, 'account_locked'],
  [131048, 'spam_limited'],
  [131049, 'marketing_limited'],
];
const RATE_LIMITS: [number, string][] = [
  [130429, 'rate_limited'],
  [4, 'rate_limited'],
  [80007, 'rate_limited'],
];
const TRANSIENT: [number, string][] = [
  [131000, 'provider_unavailable'],
  [2, 'provider_unavailable'],
  [131016, 'provider_unavailable'],
  [133004, 'provider_unavailable'],
  [131057, 'provider_unavailable'],
];

describe('Cloud API errors', () => {
  it.each(PERMANENT)("%i at send fails the message with %s and Meta's reason, with no retry", async (code, expected) => {
    const phone = nextPhone();
    graph.fail(code, { to: phone });
    const done = await waitForStatus(g, t, await sendTo(phone), ['failed']);
    expect(done).toMatchObject({ status: 'failed', attempts: 1, error: { code: expected } });
    expect(done.error?.message).toContain(`Cloud API error ${code}`);
    expect(done.error?.message).not.toContain(graph.accessToken);
  });

  it.each(TRANSIENT)('%i at send is retried (%s) and the message goes out', async (code, expected) => {
    const phone = nextPhone();
    graph.fail(code, { to: phone, times: 1 });
    const done = await waitForStatus(g, t, await sendTo(phone), ['read']);
    expect(done.attempts).toBe(2);
    expect(done.events?.find((e) => e.status === 'retry_scheduled')?.code).toBe(expected);
  });

  it.each(RATE_LIMITS)('%i at send (%s) holds the number back a second; the message waits, no attempt spent, then goes', async (code, expected) => {
    const phone = nextPhone();
    graph.fail(code, { to: phone, times: 1 });
    const done = await waitForStatus(g, t, await sendTo(phone), ['read']);
    expect(done.attempts).toBe(1);
    expect(done.events?.find((e) => e.status === 'waiting')?.code).toBe(expected);
  });

  it.each([
    [131047, 'outside_customer_window'],
    [131026, 'recipient_not_on_whatsapp'],
    [131053, 'media_rejected'],
  ])('%i reported after a 200 fails the sent message with %s', async (code, expected) => {
    const phone = nextPhone();
    graph.failAfterAccept(phone, code);
    const done = await waitForStatus(g, t, await sendTo(phone), ['failed']);
    expect(done).toMatchObject({ status: 'failed', attempts: 1, error: { code: expected } });
    expect(done.events?.map((e) => e.status)).toEqual(['queued', 'sending', 'sent', 'failed']);
  });

  it('131056 holds back only that recipient: the others go on, it goes out once its pair rate allows', async () => {
    const busy = nextPhone();
    const other = nextPhone();
    graph.fail(131056, { to: busy, times: 1 });
    const held = await sendTo(busy, 'to the busy one');
    await waitFor(async () => ((await g.get(t, `/api/v1/message/${held}`)).body.events?.some((e) => e.status === 'waiting') ? true : undefined));
    const free = await waitForStatus(g, t, await sendTo(other, 'to another'), ['read']);
    expect(free.attempts).toBe(1);
    // It waits, its attempt given back, not sent.
    expect((await g.get(t, `/api/v1/message/${held}`)).body).toMatchObject({ status: 'queued', provider_message_id: null });
    // Meta's pair rate: about one message per 6 s to the same person after a 131056.
    const sent = await waitForStatus(g, t, held, ['read'], 15_000);
    expect(sent.attempts).toBe(1);
    expect(sent.events?.find((e) => e.status === 'waiting')?.code).toBe('pair_rate_limited');
  });

  it('an image Meta refuses at upload fails with its code', async () => {
    const phone = nextPhone();
    graph.fail(131053, { to: phone });
    const r = await g.send(t, 'image', { phone, data: { base64: Buffer.from(png()).toString('base64') } });
    const done = await waitForStatus(g, t, r.body.message_id ?? '', ['failed']);
    expect(done.error?.code).toBe('media_rejected');
  });
});

describe('a rejected token (190)', () => {
  it('puts the instance in failed/token_invalid; messages wait without spending attempts until PATCH replaces the token', async () => {
    const before = graph.accessToken;
    graph.accessToken = `EAAG${'9'.repeat(40)}`; // the old token expired at Meta
    const phone = nextPhone();
    const first = await sendTo(phone, 'first');
    const second = await sendTo(phone, 'second');
    await waitFor(async () => ((await g.get(t, '/api/v1/instance')).body.state === 'failed' ? true : undefined), 5_000, 'the instance to fail');
    expect((await g.get(t, '/api/v1/instance')).body).toMatchObject({ state: 'failed', reason: 'token_invalid', waiting: 2 });
    // Dozens of dispatcher polls go by: nothing is spent, nothing fails.
    await new Promise((r) => setTimeout(r, 500));
    expect((await g.get(t, `/api/v1/message/${first}`)).body).toMatchObject({ status: 'queued', attempts: 0, error: null });

    const res = await patch(t.instanceId, { access_token: graph.accessToken });
    expect(res.status).toBe(200);
    const body = (await res.json()) as Record<string, unknown>;
    expect(body).toMatchObject({ instance_id: t.instanceId, engine: 'cloud', config: { phone_number_id: graph.phoneNumberId, throughput: 80 } });
    expect(JSON.stringify(body)).not.toContain(graph.accessToken);
    await waitForStatus(g, t, second, ['read']);
    expect((await g.get(t, `/api/v1/message/${first}`)).body).toMatchObject({ status: 'read', attempts: 1 });
    expect((await g.get(t, '/api/v1/instance')).body).toMatchObject({ state: 'connected', reason: null });
    const order = graph.messages.filter((m) => m.body.to === `+${phone}`).map((m) => m.body.text?.body);
    expect(order).toEqual(['first', 'second']);
    expect(before).not.toBe(graph.accessToken);
  });
});

describe('Cloud API settings', () => {
  it('are checked field by field when an instance is created and when they are replaced', async () => {
    const create = async (config: unknown) => {
      const res = await fetch(`${g.url}/api/v1/admin/users/${t.userId}/instances`, {
        method: 'POST',
        headers: { authorization: `Bearer ${ADMIN_TOKEN}`, 'content-type': 'application/json' },
        body: JSON.stringify({ name: 'second', engine: 'cloud', config }),
      });
      return { status: res.status, body: (await res.json()) as { error?: { code: string; details?: { field: string }[] } } };
    };
    const { access_token: _dropped, ...noToken } = cloudConfig(graph);
    expect(await create(noToken)).toMatchObject({ status: 400, body: { error: { code: 'config_required', details: [{ field: 'config.access_token' }] } } });
    expect(await create(undefined)).toMatchObject({ status: 400, body: { error: { code: 'config_required' } } });
    expect(await create(cloudConfig(graph, { acess_token: 'x' }))).toMatchObject({ status: 400, body: { error: { code: 'unknown_field' } } });
    expect(await create(cloudConfig(graph, { graph_url: 'ftp://x' }))).toMatchObject({
      status: 400,
      body: { error: { details: [{ field: 'config.graph_url' }] } },
    });
    expect(await create(cloudConfig(graph, { throughput: 5000 }))).toMatchObject({
      status: 400,
      body: { error: { details: [{ field: 'config.throughput' }] } },
    });

    const bad = await patch(t.instanceId, { phone_number_id: 12345 });
    expect(bad.status).toBe(400);
    expect(((await bad.json()) as { error: { details: { field: string }[] } }).error.details[0]?.field).toBe('config.phone_number_id');
    expect((await patch(t.instanceId, {})).status).toBe(400);
    const sandbox = await g.tenant('sandbox');
    const refused = await patch(sandbox.instanceId, { access_token: 'x'.repeat(30) });
    expect(refused.status).toBe(409);
    expect((await patch('00000000-0000-0000-0000-000000000000', { access_token: 'x'.repeat(30) })).status).toBe(404);
  });
});
