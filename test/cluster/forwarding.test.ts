/**
 * Calls that need an instance's live socket give the same answer on every
 * node: the node that does not own the instance passes them to the owner.
 * Two nodes, a `baileys` instance, a real Baileys socket against the fake
 * WhatsApp server: the QR asked for through the other node is the owner's,
 * and only the owner ever connects.
 */
import { afterAll, describe, expect, it } from 'vitest';
import { FakeWhatsAppServer } from '../fakes/whatsapp-server.js';
import type { ChildGateway } from '../helpers/child-gateway.js';
import { callAs, testCluster, type TestCluster } from '../helpers/cluster.js';
import { createTenant, waitFor } from '../helpers/gateway.js';
import { onPostgres } from '../helpers/test-db.js';

let cluster: TestCluster | undefined;
let server: FakeWhatsAppServer | undefined;
afterAll(async () => {
  await cluster?.dispose();
  await server?.close();
});

describe.skipIf(!onPostgres)('a call for the live socket, on the node that does not own the instance', () => {
  it('is answered by the owner: the same QR code on both nodes, one socket', { timeout: 60_000 }, async () => {
    const wa = await FakeWhatsAppServer.start();
    server = wa;
    const c = await testCluster({ CONNEXA_CLUSTER_LEASE_MS: '3000', CONNEXA_WHATSAPP_WS_URL: wa.url, CONNEXA_WHATSAPP_START_STAGGER_MS: '0' });
    cluster = c;
    const nodes = [await c.add(), await c.add()];
    await Promise.all(nodes.map((n) => n.start()));
    const t = await createTenant(nodes[0]?.base ?? '', 'baileys');
    const { owner, others } = await c.ownerOf(t.instanceId);
    const other = others[0] as ChildGateway;
    const get = (node: ChildGateway, path: string) => callAs(node, t.auth, path);

    // Asked through the other node: the owner starts its socket, and the QR it shows comes back.
    const connecting = wa.nextConnection();
    await get(other, '/api/v1/instance/qr');
    const conn = await connecting;
    conn.pairDevice(['ref-one']);
    const code = await waitFor(
      async () => {
        const r = await get(other, '/api/v1/instance/qr');
        return r.status === 200 && typeof r.body['code'] === 'string' ? r.body['code'] : undefined;
      },
      10_000,
      'the QR code through the other node',
    );
    expect((await get(owner, '/api/v1/instance/qr')).body['code']).toBe(code);
    const [viaOwner, viaOther] = [await get(owner, '/api/v1/instance'), await get(other, '/api/v1/instance')];
    expect(viaOther).toEqual(viaOwner);
    expect(viaOwner.body['state']).toBe('qr');
    // One socket in all: the other node never connected one of its own.
    expect(wa.connections.length).toBe(1);
  });
});
