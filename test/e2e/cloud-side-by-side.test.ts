/**
 * One user, two instances: a `baileys` one linked to a number on the fake
 * WhatsApp server (the real Baileys socket over the wire) and a `cloud` one on
 * the fake Graph server. The client sends the very same request to each, with
 * each instance's credentials; both messages go out and reach `read`, each
 * through its own engine, and neither engine sees the other's message.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { FakeGraphServer } from '../fakes/graph/server.js';
import { FakeWhatsAppServer } from '../fakes/whatsapp-server.js';
import { cloudConfig, cloudWebhookUrl, VERIFY_TOKEN } from '../helpers/cloud.js';
import { ADMIN_TOKEN, basic, startTestGateway, waitForStatus, type Tenant, type TestGateway } from '../helpers/gateway.js';
import { linkByQr } from '../helpers/whatsapp-link.js';

const OWN = '5544000000000';
const CONTACT = '5544999999999';

let wa: FakeWhatsAppServer;
let graph: FakeGraphServer;
let gw: TestGateway;

beforeAll(async () => {
  wa = await FakeWhatsAppServer.start();
  wa.addContact(CONTACT);
  graph = await FakeGraphServer.start();
  gw = await startTestGateway({ CONNEXA_WHATSAPP_WS_URL: wa.url, CONNEXA_WHATSAPP_START_STAGGER_MS: '0' });
});
afterAll(async () => {
  await gw.stop();
  await wa.close();
  await graph.close();
});

/** A second instance for the same user, over the admin API. */
async function secondInstance(first: Tenant, engine: string, config: unknown): Promise<Tenant> {
  const res = await fetch(`${gw.url}/api/v1/admin/users/${first.userId}/instances`, {
    method: 'POST',
    headers: { authorization: `Bearer ${ADMIN_TOKEN}`, 'content-type': 'application/json' },
    body: JSON.stringify({ name: engine, engine, config }),
  });
  expect(res.status).toBe(201);
  const body = (await res.json()) as { instance_id: string; instance_token: string };
  return { userId: first.userId, instanceId: body.instance_id, token: body.instance_token, auth: basic(first.userId, body.instance_token) };
}

describe('a cloud and a baileys instance of the same user', () => {
  it('send side by side with no change to the client request', async () => {
    const baileys = await gw.tenant('baileys', { pacing: { minGapMs: 0, jitterMs: 0, perMinute: 1000, typing: false } });
    const cloud = await secondInstance(baileys, 'cloud', cloudConfig(graph));
    await graph.subscribe(cloudWebhookUrl(gw.url, cloud.instanceId), VERIFY_TOKEN);
    const conn = await linkByQr(wa, (p) => gw.get(baileys, p), OWN, { usync: new Map([[CONTACT, `${CONTACT}@s.whatsapp.net`]]) });

    const request = { phone: CONTACT, data: { text: 'the same request, two engines' } };
    const [viaBaileys, viaCloud] = await Promise.all([gw.send(baileys, 'text', request), gw.send(cloud, 'text', request)]);
    expect([viaBaileys.status, viaCloud.status]).toEqual([200, 200]);

    // WhatsApp Web: the contact's phone decrypts it and sends receipts back.
    const stanza = await conn.message();
    conn.ack(stanza);
    const contact = wa.contacts.get(CONTACT);
    const got = await contact?.read(stanza, `${OWN}:7@s.whatsapp.net`);
    expect(got?.extendedTextMessage?.text ?? got?.conversation).toBe('the same request, two engines');
    conn.receipt(stanza, 'read');

    const [b, c] = await Promise.all([
      waitForStatus(gw, baileys, viaBaileys.body.message_id ?? '', ['read']),
      waitForStatus(gw, cloud, viaCloud.body.message_id ?? '', ['read']),
    ]);
    expect(graph.messages.map((m) => [m.wamid, m.raw])).toEqual([
      [
        c['provider_message_id'],
        { messaging_product: 'whatsapp', recipient_type: 'individual', to: `+${CONTACT}`, type: 'text', text: { body: request.data.text } },
      ],
    ]);
    expect(b['provider_message_id']).toBe(stanza.attrs.id);
    expect(wa.errors).toEqual([]);
  });
});
