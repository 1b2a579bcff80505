/**
 * A linked WhatsApp number survives the death of its node: the node that
 * takes the instance over reconnects with the session stored in the database
 * (a login, no QR), and messages sent through it reach WhatsApp. Real Baileys
 * sockets in the nodes, against the fake WhatsApp server in this process.
 */
import { afterAll, describe, expect, it } from 'vitest';
import { FakeWhatsAppServer } from '../fakes/whatsapp-server.js';
import type { ChildGateway } from '../helpers/child-gateway.js';
import { callAs, testCluster, type TestCluster } from '../helpers/cluster.js';
import { linkByQr } from '../helpers/whatsapp-link.js';
import { createTenant, waitFor } from '../helpers/gateway.js';
import { onPostgres } from '../helpers/test-db.js';

const OWN = '5544000000000';
const CONTACT = '5544999999999';
const ON_WHATSAPP = new Map([[CONTACT, `${CONTACT}@s.whatsapp.net`]]);

let cluster: TestCluster | undefined;
let server: FakeWhatsAppServer | undefined;
afterAll(async () => {
  await cluster?.dispose();
  await server?.close();
});

describe.skipIf(!onPostgres)('the node of a linked number dies', () => {
  it('another node logs the number in from the stored session, without a QR, and sends through it', { timeout: 90_000 }, async () => {
    const wa = await FakeWhatsAppServer.start();
    server = wa;
    wa.addContact(CONTACT);
    const c = await testCluster({ CONNEXA_CLUSTER_LEASE_MS: '3000', CONNEXA_WHATSAPP_WS_URL: wa.url, CONNEXA_WHATSAPP_START_STAGGER_MS: '0' });
    cluster = c;
    const nodes = [await c.add(), await c.add()];
    await Promise.all(nodes.map((n) => n.start()));
    const t = await createTenant(nodes[0]?.base ?? '', 'baileys', { pacing: { minGapMs: 0, jitterMs: 0, perMinute: 1000, typing: false } });
    const { owner, others } = await c.ownerOf(t.instanceId);
    const survivor = others[0] as ChildGateway;
    const api = (node: ChildGateway, path: string, body?: unknown) => callAs(node, t.auth, path, body);

    // Linked by QR on its owner.
    await linkByQr(wa, (p) => api(owner, p), OWN, { usync: ON_WHATSAPP, timeoutMs: 10_000 });
    await waitFor(
      async () => ((await c.query(`SELECT 1 FROM wa_creds WHERE instance_id = $1`, [t.instanceId])).length === 1 ? true : undefined),
      5_000,
      'the session stored',
    );

    // The owner dies; the survivor takes the instance over and logs in with the stored session.
    const again = wa.nextConnection();
    await owner.kill();
    const second = await again;
    second.usync = ON_WHATSAPP;
    second.loginSuccess();
    expect(second.payload?.devicePairingData ?? undefined).toBeUndefined();
    await waitFor(async () => ((await api(survivor, '/api/v1/instance')).body['state'] === 'connected' ? true : undefined), 15_000, 'connected again');
    expect((await api(survivor, '/api/v1/instance')).body['phone']).toBe(OWN);

    // And sends through it.
    const sent = await api(survivor, '/api/v1/message/text', { phone: CONTACT, data: { text: 'still here' } });
    expect(sent.status).toBe(200);
    const stanza = await second.message();
    expect(stanza.attrs['to']).toBe(`${CONTACT}@s.whatsapp.net`);
  });
});
