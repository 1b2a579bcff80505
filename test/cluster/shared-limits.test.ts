/**
 * Limits count for the cluster, not per node: an instance's send rate, and
 * failed sign-ins of a user_id from an address, are counted in the shared
 * database whichever node a request reaches.
 */
import { afterAll, describe, expect, it } from 'vitest';
import { testCluster, type TestCluster } from '../helpers/cluster.js';
import { basic, createTenant } from '../helpers/gateway.js';
import { onPostgres } from '../helpers/test-db.js';

let cluster: TestCluster | undefined;
afterAll(() => cluster?.dispose());

describe.skipIf(!onPostgres)('limits shared by two nodes', () => {
  it('counts sends and failed sign-ins across the nodes', { timeout: 60_000 }, async () => {
    const c = await testCluster({ CONNEXA_SEND_RATE_PER_INSTANCE: '6', CONNEXA_AUTH_MAX_FAILURES: '3', CONNEXA_AUTH_LOCKOUT_DELAY_MS: '0' });
    cluster = c;
    const a = await c.add();
    const b = await c.add();
    await Promise.all([a.start(), b.start()]);
    const t = await createTenant(a.base);

    // Twelve sends within a second, alternating nodes: six accepted in all, not six per node.
    const statuses = await Promise.all(
      Array.from({ length: 12 }, async (_, i) => {
        const res = await fetch(`${(i % 2 === 0 ? a : b).base}/api/v1/message/text`, {
          method: 'POST',
          headers: { authorization: t.auth, 'content-type': 'application/json' },
          body: JSON.stringify({ phone: '5544999990000', data: { text: `r${i}` } }),
        });
        return res.status;
      }),
    );
    expect(statuses.filter((s) => s === 200).length).toBe(6);
    expect(statuses.filter((s) => s === 429).length).toBe(6);

    // Wrong tokens for one user_id, alternating nodes: the fourth is refused as a lockout.
    const wrong = basic(t.userId, 'not-the-token-0000000000000000');
    const answers: number[] = [];
    for (let i = 0; i < 4; i++) {
      answers.push((await fetch(`${(i % 2 === 0 ? a : b).base}/api/v1/instance`, { headers: { authorization: wrong } })).status);
    }
    expect(answers).toEqual([401, 401, 401, 429]);
    // The right credentials still work.
    expect((await fetch(`${b.base}/api/v1/instance`, { headers: { authorization: t.auth } })).status).toBe(200);
  });
});
