/** The sandbox inbox: a resend of a WhatsApp id is counted, never a second row; due receipts in order; pages newest first. */
import { afterEach, beforeEach, expect, it } from 'vitest';
import { openStore, type Store } from '../../src/store/database.js';
import { migrate } from '../../src/store/migrate.js';
import { SandboxInboxStatements, type Arrival } from '../../src/store/sandbox-inbox.js';

let store: Store;
let inbox: SandboxInboxStatements;
beforeEach(async () => {
  store = openStore({ dialect: 'sqlite', file: ':memory:' });
  expect((await migrate(store)).ok).toBe(true);
  inbox = new SandboxInboxStatements(store);
});
afterEach(() => store.close());

const arrival = (providerId: string, deliverDue: number, readDue: number | null): Arrival => ({
  instanceId: 'inst',
  providerId,
  messageId: `m-${providerId}`,
  part: 0,
  recipient: '554499999999',
  type: 'text',
  text: providerId,
  mediaMime: null,
  mediaSize: null,
  mediaSha256: null,
  mediaFilename: null,
  receivedAt: 1,
  deliverDue,
  readDue,
});

it('a resend of the same id (in one batch or a later one) is counted on its row', async () => {
  await inbox.record([arrival('P1', 10, 20), arrival('P1', 10, 20), arrival('P2', 5, null)]);
  await inbox.record([arrival('P1', 10, 20)]);
  const rows = await inbox.list('inst', undefined, 10);
  expect(rows.map((r) => [r.provider_id, r.resends])).toEqual([
    ['P2', 0],
    ['P1', 2],
  ]);
});

it('due deliveries by due time; reads only once delivered; marked ones are not due again; pages by cursor', async () => {
  await inbox.record([arrival('P1', 10, 20), arrival('P2', 5, null), arrival('P3', 50, 60)]);
  expect((await inbox.dueDeliveries(10, 10)).map((d) => d.message_id)).toEqual(['m-P2', 'm-P1']);
  expect(await inbox.dueReads(100, 10)).toEqual([]);
  const [p2, p1] = await inbox.dueDeliveries(10, 10);
  await inbox.markDelivered([p2?.id ?? 0, p1?.id ?? 0], 10);
  expect(await inbox.dueDeliveries(10, 10)).toEqual([]);
  expect((await inbox.dueReads(100, 10)).map((d) => d.message_id)).toEqual(['m-P1']);
  await inbox.markRead([p1?.id ?? 0], 30);
  expect(await inbox.dueReads(100, 10)).toEqual([]);
  const first = await inbox.list('inst', undefined, 2);
  expect(first.map((r) => r.provider_id)).toEqual(['P3', 'P2']);
  expect((await inbox.list('inst', first.at(-1)?.id, 2)).map((r) => r.provider_id)).toEqual(['P1']);
});
