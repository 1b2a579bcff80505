/**
 * Slow accept commits shed sends for a while. The gateway runs in its own
 * process and this test holds SQLite's write lock from its own connection, so
 * the client's clock sees the gateway wait for its commit: a send answered
 * before its commit (an accept write not awaited) answers at once here.
 */
import { holdWriteLock } from '../helpers/test-db.js';
import { afterEach, describe, expect, it } from 'vitest';
import { childGateway, type ChildGateway } from '../helpers/child-gateway.js';

let server: ChildGateway | undefined;
afterEach(async () => {
  await server?.dispose();
  server = undefined;
});

const text = { phone: '554499999999', data: { text: 'under pressure' } };

describe('slow database commits', () => {
  it('a send waits for its commit; sends are then shed for a while; status reads still answer', async () => {
    // Sampled every 200 ms: a slow commit counts for 5 samples (1 s).
    // No dispatcher: its own writes would otherwise meet the held lock first.
    server = await childGateway({
      CONNEXA_DISPATCH: 'false',
      CONNEXA_OVERLOAD_EVENT_LOOP_DELAY_MS: '0',
      CONNEXA_OVERLOAD_SAMPLE_MS: '200',
      CONNEXA_OVERLOAD_COMMIT_MS: '200',
    });
    const gw = server;
    await gw.start();
    const t = await gw.tenant();

    const release = await holdWriteLock(gw.database);
    const released = new Promise<void>((resolve, reject) =>
      setTimeout(() => {
        release().then(resolve, reject);
      }, 600),
    );
    // This send waits for the lock: stored, but only once the lock is gone (~600 ms).
    const started = Date.now();
    const slow = await gw.send(t, 'text', text);
    const took = Date.now() - started;
    await released;
    expect(slow.status).toBe(200);
    expect(took).toBeGreaterThan(400);

    let shed: Awaited<ReturnType<ChildGateway['send']>> | undefined;
    for (let i = 0; i < 60 && shed === undefined; i++) {
      await new Promise((r) => setTimeout(r, 20));
      const r = await gw.send(t, 'text', text);
      if (r.status === 503) shed = r;
    }
    expect(shed?.body.error?.code).toBe('overloaded');
    expect(shed?.body.error?.message).toMatch(/store messages/);
    expect(Number(shed?.headers.get('retry-after'))).toBeGreaterThan(0);
    expect((await gw.get(t, `/api/v1/message/${slow.body.message_id ?? ''}`)).status).toBe(200);

    let after = 0;
    for (let i = 0; i < 60 && after !== 200; i++) {
      await new Promise((r) => setTimeout(r, 50));
      after = (await gw.send(t, 'text', text)).status;
    }
    expect(after).toBe(200);
  });
});
