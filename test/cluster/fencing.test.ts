/**
 * Fencing: a node paused (SIGSTOP) past its lease loses its instances to
 * another node. When it wakes (SIGCONT), the sends it had in hand must not
 * happen and nothing it writes for those instances may land: the rows it
 * would have written (attempts, outcomes, events, the sandbox's arrivals)
 * stay exactly as the new owner left them.
 */
import { afterAll, describe, expect, it } from 'vitest';
import { testCluster, type TestCluster } from '../helpers/cluster.js';
import { createTenant, waitFor, type Tenant } from '../helpers/gateway.js';
import { onPostgres } from '../helpers/test-db.js';

const LEASE_MS = 2_000;

let cluster: TestCluster | undefined;
afterAll(() => cluster?.dispose());

/** What a node's writes for messages would change. */
async function footprint(c: TestCluster): Promise<string> {
  const rows = [];
  for (const text of [
    `SELECT id, status, attempts, updated_at, provider_id FROM messages ORDER BY id`,
    `SELECT count(*) AS n, max(id) AS last FROM message_events`,
    `SELECT provider_id, resends, delivered_at, read_at FROM sandbox_inbox ORDER BY provider_id`,
    `SELECT count(*) AS n FROM webhook_events`,
    `SELECT message_id, attempts FROM outbox ORDER BY message_id`,
  ]) {
    rows.push(await c.query(text));
  }
  return JSON.stringify(rows);
}

describe.skipIf(!onPostgres)('a node paused past its lease', () => {
  it('writes and sends nothing for the instances taken from it when it wakes', { timeout: 120_000 }, async () => {
    const c = await testCluster({
      CONNEXA_CLUSTER_LEASE_MS: String(LEASE_MS),
      CONNEXA_SANDBOX_DELIVER_MS: '20',
      CONNEXA_SANDBOX_READ_MS: '40',
      CONNEXA_DISPATCH_POLL_MS: '100',
    });
    cluster = c;
    const a = await c.add();
    const b = await c.add();
    await a.start();
    await b.start();
    const tenants: Tenant[] = [];
    for (let i = 0; i < 10; i++) tenants.push(await createTenant(b.base));
    await c.settled(b, ['n1', 'n2'], 10, 5, 20_000);

    // A stream of sends through b, to every instance, in bursts: a's lanes hold several messages in hand when it is paused.
    let running = true;
    const acked: string[] = [];
    const writers = tenants.map(async (t, w) => {
      let n = 0;
      while (running) {
        await Promise.all(
          Array.from({ length: 8 }, async () => {
            const res = await fetch(`${b.base}/api/v1/message/text`, {
              method: 'POST',
              headers: { authorization: t.auth, 'content-type': 'application/json' },
              body: JSON.stringify({ phone: `55449100${String(w).padStart(4, '0')}`, data: { text: `m${n++}` } }),
            }).catch(() => undefined);
            if (res?.status === 200) acked.push(((await res.json()) as { message_id: string }).message_id);
          }),
        );
      }
    });
    await new Promise((r) => setTimeout(r, 800));
    a.signal('SIGSTOP');
    // b takes a's instances once their leases expire.
    await c.settled(b, ['n2'], 10, 10, LEASE_MS * 3 + 5_000);
    await new Promise((r) => setTimeout(r, 500));
    running = false;
    await Promise.all(writers);

    // Everything acknowledged is sent and read by b; then nothing moves.
    await waitFor(
      async () => {
        const rows = await c.query<{ n: string }>(`SELECT count(*) AS n FROM messages WHERE id = ANY($1) AND status = 'read'`, [acked]);
        return Number(rows[0]?.n) === acked.length ? true : undefined;
      },
      30_000,
      'every acknowledged message read',
    );
    const before = await footprint(c);

    a.signal('SIGCONT');
    // a wakes, finds its leases gone, rejoins; give its stale sends every chance to land.
    await waitFor(async () => ((await c.view(a).catch(() => undefined))?.nodes.find((n) => n.node_id === 'n1')?.alive ? true : undefined), 20_000, 'a back');
    await new Promise((r) => setTimeout(r, 2_000));
    expect(await footprint(c)).toBe(before);

    const inbox = await c.query<{ message_id: string; n: string }>(
      `SELECT message_id, count(*) AS n FROM sandbox_inbox WHERE part = 0 GROUP BY message_id HAVING count(*) > 1`,
    );
    expect(inbox).toEqual([]);
    console.log(`cluster fencing: ${acked.length} acknowledged; after SIGCONT the paused node changed no row`);
  });
});
