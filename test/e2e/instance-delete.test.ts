/**
 * Deleting an instance stops its queue: a message still waiting for a retry,
 * or for its WhatsApp number, when its instance is deleted fails with
 * instance_not_found instead of being sent through an engine remembered from
 * before or waiting for a number that will never connect.
 */
import { afterAll, beforeAll, expect, it } from 'vitest';
import { ADMIN_TOKEN, startTestGateway, waitFor, waitForStatus, type TestGateway } from '../helpers/gateway.js';

let g: TestGateway;
beforeAll(async () => {
  // Retries wait ~1 s, long enough to delete the instance in between.
  g = await startTestGateway({ CONNEXA_DISPATCH_RETRY_BASE_MS: '1000', CONNEXA_DISPATCH_RETRY_MAX_MS: '1000' });
});
afterAll(async () => g?.stop());

/** The message's status once it is neither queued nor sending. */
function settled(id: string): Promise<{ status: string; error_code: string | null }> {
  return waitFor(
    async () => {
      const [r] = await g.query<{ status: string; error_code: string | null }>('SELECT status, error_code FROM messages WHERE id = ?', [id]);
      return r !== undefined && r.status !== 'sending' && r.status !== 'queued' ? r : undefined;
    },
    10_000,
    'the queued message to settle',
  );
}

it('a deleted instance’s queued message fails with instance_not_found and never arrives', async () => {
  const t = await g.tenant();
  // The first send teaches the dispatcher this instance's engine.
  const first = await g.send(t, 'text', { phone: '554499999999', data: { text: 'before' } });
  await waitForStatus(g, t, first.body.message_id ?? '', ['sent', 'delivered', 'read']);
  // Fails once (sandbox magic number), then waits for its retry.
  const queued = await g.send(t, 'text', { phone: '15550100501', data: { text: 'after delete' } });
  const id = queued.body.message_id ?? '';
  await waitFor(
    async () => {
      const r = await g.get(t, `/api/v1/message/${id}`);
      return r.body.events?.some((e) => e.status === 'retry_scheduled') === true ? true : undefined;
    },
    5_000,
    'the first attempt to fail',
  );

  const del = await fetch(`${g.url}/api/v1/admin/instances/${t.instanceId}`, { method: 'DELETE', headers: { authorization: `Bearer ${ADMIN_TOKEN}` } });
  expect(del.status).toBe(204);

  expect(await settled(id)).toEqual({ status: 'failed', error_code: 'instance_not_found' });
  expect(await g.query(`SELECT count(*) AS n FROM sandbox_inbox WHERE message_id = ?`, [id])).toEqual([{ n: 0 }]);
});

it('a message waiting for a number that never linked fails with instance_not_found when its instance is deleted', async () => {
  const t = await g.tenant('baileys');
  const r = await g.send(t, 'text', { phone: '554499999999', data: { text: 'waiting' } });
  const id = r.body.message_id ?? '';
  await waitFor(
    async () => {
      const s = await g.get(t, `/api/v1/message/${id}`);
      return s.body.events?.some((e) => e.status === 'waiting') === true ? true : undefined;
    },
    5_000,
    'the message to wait for its number',
  );

  const del = await fetch(`${g.url}/api/v1/admin/instances/${t.instanceId}`, { method: 'DELETE', headers: { authorization: `Bearer ${ADMIN_TOKEN}` } });
  expect(del.status).toBe(204);
  expect(await settled(id)).toEqual({ status: 'failed', error_code: 'instance_not_found' });
});
