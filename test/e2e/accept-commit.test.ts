/**
 * A 200 means committed. The gateway runs in its own process; this test holds
 * the database's write lock from its own connection past the gateway's lock
 * timeout (5 s), so the accept commit fails: the client must get a 5xx, never a 200,
 * and nothing may be sent. A gateway that answered before its commit (an
 * accept write not awaited) answers 200 at once here.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { childGateway, type ChildGateway } from '../helpers/child-gateway.js';
import { waitFor, waitForStatus, type InboxEntry, type Tenant } from '../helpers/gateway.js';
import { holdWriteLock } from '../helpers/test-db.js';

let server: ChildGateway;
let t: Tenant;

beforeAll(async () => {
  server = await childGateway({
    // Load shedding off: the failure must come from the commit, not from a 503 before it.
    CONNEXA_OVERLOAD_EVENT_LOOP_DELAY_MS: '0',
    CONNEXA_OVERLOAD_COMMIT_MS: '0',
    // No timer-driven writes while the lock is held: the accept commit is the one that meets it.
    CONNEXA_DISPATCH_POLL_MS: '60000',
    CONNEXA_SANDBOX_DELIVER_MS: '20',
    CONNEXA_SANDBOX_READ_MS: '40',
  });
  await server.start();
  t = await server.tenant();
});

afterAll(() => server.dispose());

describe('the accept commit fails', () => {
  it('answers 5xx, never 200, and sends nothing; the next send after the lock is gone is stored and sent', { timeout: 60_000 }, async () => {
    const release = await holdWriteLock(server.database);
    let failed: Awaited<ReturnType<ChildGateway['send']>>;
    try {
      failed = await server.send(t, 'text', { phone: '554499999999', data: { text: 'never committed' } });
    } finally {
      await release();
    }
    expect(failed.status).toBe(500);
    expect(failed.body.error?.code).toBe('internal_error');
    expect(failed.body.message_id).toBeUndefined();

    const ok = await server.send(t, 'text', { phone: '554499999999', data: { text: 'committed' } });
    expect(ok.status).toBe(200);
    await waitForStatus(server, t, ok.body.message_id ?? '', ['sent', 'delivered', 'read']);
    const inbox = await waitFor(
      async () => {
        const r = await server.get(t, '/api/v1/sandbox/messages');
        return (r.body.messages ?? []).length > 0 ? (r.body.messages as InboxEntry[]) : undefined;
      },
      10_000,
      'the sandbox inbox',
    );
    expect(inbox.map((e) => e.text)).toEqual(['committed']);
  });
});
