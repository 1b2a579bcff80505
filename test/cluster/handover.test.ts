/**
 * A node joining a running cluster ends with its share of the instances,
 * taken gradually; a node stopped gracefully (SIGTERM) hands its instances
 * over. All of it under a stream of sends: no message fails, none arrives
 * twice (not even as a resend of the same id), each recipient's arrive in order.
 */
import { afterAll, describe, expect, it } from 'vitest';
import { testCluster, type TestCluster } from '../helpers/cluster.js';
import { createTenant, type Tenant } from '../helpers/gateway.js';
import { onPostgres } from '../helpers/test-db.js';

const INSTANCES = 30;

let cluster: TestCluster | undefined;
afterAll(() => cluster?.dispose());

describe.skipIf(!onPostgres)('joining and leaving a running cluster', () => {
  it('a new node takes its share gradually; a stopping node hands its instances over with nothing failed or repeated', { timeout: 180_000 }, async () => {
    const c = await testCluster({
      CONNEXA_CLUSTER_LEASE_MS: '5000',
      CONNEXA_CLUSTER_HANDOVER_STEP: '5',
      CONNEXA_SANDBOX_DELIVER_MS: '20',
      CONNEXA_SANDBOX_READ_MS: '40',
      CONNEXA_DISPATCH_POLL_MS: '100',
    });
    cluster = c;
    const n1 = await c.add();
    await n1.start();
    const tenants: Tenant[] = [];
    for (let i = 0; i < INSTANCES; i++) tenants.push(await createTenant(n1.base));
    await c.settled(n1, ['n1'], INSTANCES, INSTANCES, 10_000);

    const acked: { id: string; lane: string }[] = [];
    let running = true;
    const writers = tenants.map(async (t, w) => {
      const lane = `${t.instanceId}/5544920${String(w).padStart(5, '0')}`;
      let n = 0;
      while (running) {
        // A request that fails (a kept-alive connection closed as it was reused) is not acknowledged: the lane's order is of acknowledged ones.
        const res = await fetch(`${n1.base}/api/v1/message/text`, {
          method: 'POST',
          headers: { authorization: t.auth, 'content-type': 'application/json' },
          body: JSON.stringify({ phone: lane.split('/')[1], data: { text: `m${n++}` } }),
        }).catch(() => undefined);
        if (res?.status === 200) acked.push({ id: ((await res.json()) as { message_id: string }).message_id, lane });
      }
    });

    // A second node joins: it ends with half, taken a few at a time.
    const n2 = await c.add();
    await n2.start();
    const spread = await c.settled(n1, ['n1', 'n2'], INSTANCES, INSTANCES / 2, 30_000);
    expect([...spread.values()]).toEqual([15, 15]);
    const view = await c.view(n1);
    const rebalanced = view.moves.filter((m) => m.to_node === 'n2').length;
    expect(rebalanced).toBeGreaterThanOrEqual(15);
    // The new node's metrics and readiness say so.
    const metrics = await (await fetch(`${n2.base}/metrics`)).text();
    expect(metrics).toMatch(/^connexa_cluster_leases_held 15$/m);
    expect(metrics).toMatch(/^connexa_cluster_lease_moves_total\{reason="acquired"\} (1[5-9]|[2-9]\d)$/m);
    expect(metrics).toMatch(/^connexa_cluster_heartbeats_total\{result="ok"\} \d+$/m);
    expect((await fetch(`${n2.base}/readyz`)).status).toBe(200);

    // It stops gracefully: the first node has everything again.
    await new Promise((r) => setTimeout(r, 500));
    await n2.stop();
    await c.settled(n1, ['n1'], INSTANCES, INSTANCES, 10_000);
    expect((await c.view(n1)).moves.some((m) => m.reason === 'stopped')).toBe(true);
    await new Promise((r) => setTimeout(r, 500));
    running = false;
    await Promise.all(writers);

    // Every move was a handover, none a lease running out (which would resend the sends in hand).
    expect((await c.view(n1)).moves.filter((m) => m.reason === 'expired')).toEqual([]);
    const ids = acked.map((a) => a.id);
    await c.allSent(ids, 30_000);
    const failed = await c.query(`SELECT id, error_code FROM messages WHERE status = 'failed'`);
    expect(failed).toEqual([]);
    const inbox = await c.query<{ message_id: string; resends: number }>(`SELECT message_id, resends FROM sandbox_inbox WHERE part = 0 ORDER BY id`);
    expect(inbox.length).toBe(ids.length);
    expect(inbox.filter((r) => r.resends > 0)).toEqual([]);
    const position = new Map(inbox.map((r, i) => [r.message_id, i]));
    const byLane = new Map<string, number[]>();
    for (const a of acked) byLane.set(a.lane, [...(byLane.get(a.lane) ?? []), position.get(a.id) ?? -1]);
    expect([...byLane].filter(([, p]) => p.some((v, i) => i > 0 && v < (p[i - 1] ?? 0)))).toEqual([]);
    console.log(`cluster handover: ${acked.length} acknowledged, ${rebalanced} instances moved to the new node, all handed back on its stop`);
  });
});
