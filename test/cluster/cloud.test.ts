/**
 * A `cloud` instance on two nodes sharing PostgreSQL: Meta's webhooks may
 * reach the node that does not send for the instance (statuses still carry
 * its messages to `read`); a token replaced through that node reaches the
 * owner, whose waiting messages then go; when the owner dies the survivor
 * sends with the stored (sealed) account, each message once.
 */
import { afterAll, describe, expect, it } from 'vitest';
import { FakeGraphServer } from '../fakes/graph/server.js';
import type { ChildGateway } from '../helpers/child-gateway.js';
import { cloudConfig, cloudWebhookUrl, VERIFY_TOKEN } from '../helpers/cloud.js';
import { callAs, testCluster, type TestCluster } from '../helpers/cluster.js';
import { ADMIN_TOKEN, createTenant, waitFor } from '../helpers/gateway.js';
import { onPostgres } from '../helpers/test-db.js';

let cluster: TestCluster | undefined;
let graph: FakeGraphServer | undefined;
afterAll(async () => {
  await cluster?.dispose();
  await graph?.close();
});

describe.skipIf(!onPostgres)('a cloud instance on two nodes', () => {
  it('webhooks and settings through either node, and a failover', { timeout: 90_000 }, async () => {
    const fake = await FakeGraphServer.start();
    graph = fake;
    const c = await testCluster({ CONNEXA_CLUSTER_LEASE_MS: '3000' });
    cluster = c;
    const nodes = [await c.add(), await c.add()];
    await Promise.all(nodes.map((n) => n.start()));
    const t = await createTenant(nodes[0]?.base ?? '', 'cloud', cloudConfig(fake));
    const { owner, others } = await c.ownerOf(t.instanceId);
    const other = others[0] as ChildGateway;
    // Meta is told the other node's URL.
    await fake.subscribe(cloudWebhookUrl(other.base, t.instanceId), VERIFY_TOKEN);
    const send = async (node: ChildGateway, text: string) => {
      const r = await callAs(node, t.auth, '/api/v1/message/text', { phone: '5544999990000', data: { text } });
      expect(r.status).toBe(200);
      return String(r.body['message_id']);
    };
    const statusOf = async (id: string) => (await callAs(other, t.auth, `/api/v1/message/${id}`)).body;
    const reaches = (id: string, status: string, what: string) =>
      waitFor(async () => ((await statusOf(id))['status'] === status ? true : undefined), 20_000, what);

    const first = await send(other, 'first');
    await reaches(first, 'read', 'the first message read through the other node');

    // The token expires at Meta: the owner parks the instance; the new token is given through the other node.
    fake.accessToken = `EAAG${'8'.repeat(40)}`;
    const second = await send(other, 'second');
    await waitFor(async () => ((await callAs(other, t.auth, '/api/v1/instance')).body['state'] === 'failed' ? true : undefined), 20_000, 'failed');
    const res = await fetch(`${other.base}/api/v1/admin/instances/${t.instanceId}`, {
      method: 'PATCH',
      headers: { authorization: `Bearer ${ADMIN_TOKEN}`, 'content-type': 'application/json' },
      body: JSON.stringify({ config: { access_token: fake.accessToken } }),
    });
    expect(res.status).toBe(200);
    await reaches(second, 'read', 'the second message, once the token was replaced');
    expect((await statusOf(second))['attempts']).toBe(1);

    // The owner dies: the survivor takes the instance over and sends with the stored account.
    await owner.kill();
    await waitFor(async () => ((await c.ownerOf(t.instanceId)).owner === other ? true : undefined), 20_000, 'the takeover');
    const third = await send(other, 'third');
    await reaches(third, 'read', 'the third message, after the failover');
    expect(fake.messages.map((m) => m.body.text?.body)).toEqual(['first', 'second', 'third']);
  });
});
