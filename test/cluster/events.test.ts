/**
 * The live event stream on a cluster: two nodes on one PostgreSQL. A stream
 * opened on the node that does not own the instance makes the owner log the
 * instance's events, and carries the same events,
 * in the same order, as one on the owner; a client that drops its stream on one
 * node and resumes on the other with Last-Event-ID misses nothing and gets
 * nothing twice.
 */
import { afterAll, describe, expect, it } from 'vitest';
import type { ChildGateway } from '../helpers/child-gateway.js';
import { callAs, testCluster, type TestCluster } from '../helpers/cluster.js';
import { createTenant } from '../helpers/gateway.js';
import { openEventStream, type EventStream } from '../helpers/sse.js';
import { onPostgres } from '../helpers/test-db.js';

let cluster: TestCluster | undefined;
const streams: EventStream[] = [];
afterAll(async () => {
  for (const s of streams) s.close();
  await cluster?.dispose();
});

describe.skipIf(!onPostgres)('event streams on several nodes', () => {
  it('carry the same events on every node and resume on another node', { timeout: 60_000 }, async () => {
    const c = await testCluster({
      CONNEXA_CLUSTER_LEASE_MS: '3000',
      CONNEXA_SANDBOX_DELIVER_MS: '50',
      CONNEXA_SANDBOX_READ_MS: '100',
      CONNEXA_EVENTS_POLL_MS: '50',
    });
    cluster = c;
    const nodes = [await c.add(), await c.add()];
    await Promise.all(nodes.map((n) => n.start()));
    const t = await createTenant(nodes[0]?.base ?? '', 'sandbox');
    const { owner, others } = await c.ownerOf(t.instanceId);
    const other = others[0] as ChildGateway;
    const open = async (node: ChildGateway, last?: number) => {
      const s = await openEventStream(node.base, t.auth, last);
      streams.push(s);
      return s;
    };
    const send = async (node: ChildGateway, n: number) => {
      for (let i = 0; i < n; i++)
        expect((await callAs(node, t.auth, '/api/v1/message/text', { phone: '5544999990001', data: { text: `m${i}` } })).status).toBe(200);
    };

    // The first stream opens on the node that does not send: the owner learns of it from the database
    // (signalled at once, read again every second at the latest).
    const onOther = await open(other);
    await new Promise((r) => setTimeout(r, 1_500));
    const onOwner = await open(owner);
    await send(other, 5);
    await onOwner.waitForCount(15, 20_000);
    await onOther.waitForCount(15, 20_000);
    expect(onOther.events.map((e) => [e.id, e.body])).toEqual(onOwner.events.map((e) => [e.id, e.body]));

    // Dropped on the other node; more happens meanwhile; resumed on the owner.
    onOther.close();
    await onOther.ended;
    await send(owner, 5);
    await onOwner.waitForCount(30, 20_000);
    const resumed = await open(owner, onOther.events.at(-1)?.id);
    await resumed.waitForCount(15, 20_000);
    await new Promise((r) => setTimeout(r, 300));
    expect([...onOther.events, ...resumed.events].map((e) => e.id)).toEqual(onOwner.events.map((e) => e.id));
    expect(new Set(onOwner.events.map((e) => e.type))).toEqual(new Set(['message.sent', 'message.delivered', 'message.read']));
  });
});
