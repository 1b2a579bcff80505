/**
 * The lease statements on PostgreSQL, as one node's keeper uses them: a node
 * registers (and learns its former life's last beat), takes free leases,
 * beats, gives leases up, stops and leaves; the census, the owner of an
 * instance, the moves and their pruning; a write confirms only the leases
 * held with the epoch it knows. Cluster tests run these through nodes in
 * processes; here each statement's result is read directly.
 */
import fs from 'node:fs';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { AdminService } from '../../src/admin/service.js';
import type { Store } from '../../src/store/database.js';
import { confirmedInTx, LeaseStatements } from '../../src/store/leases.js';
import { tempDir } from '../helpers/gateway.js';
import { onPostgres, openTestStore } from '../helpers/test-db.js';

const LEASE_MS = 60_000;
let dir: string;
let store: Store;
let leases: LeaseStatements;
let ids: string[];

beforeEach(async () => {
  dir = tempDir('connexa-leases-');
  store = await openTestStore(dir);
  leases = new LeaseStatements(store);
  const admin = new AdminService(store.db, ['sandbox']);
  const user = (await admin.createUser('u')).user_id;
  ids = [];
  for (const name of ['a', 'b', 'c']) ids.push((await admin.createInstance(user, name, 'sandbox')).instance_id);
  ids.sort();
});
afterEach(async () => {
  await store.close();
  fs.rmSync(dir, { recursive: true, force: true });
});

const heldIds = (held: { instance_id: string }[]): string[] => held.map((h) => h.instance_id).sort();

describe.runIf(onPostgres)('lease statements on PostgreSQL', () => {
  it("register: a new node has no former beat; a node registering again learns its former life's, and its leases get new epochs", async () => {
    expect(await leases.register('n1', 'http://127.0.0.1:1', 'life-1')).toBeUndefined();
    const [held] = await leases.acquire('n1', LEASE_MS, 1);
    const before = (await leases.nodes(LEASE_MS))[0]?.heartbeat_at;
    expect(typeof (await leases.register('n1', 'http://127.0.0.1:2', 'life-2'))).toBe('number');
    expect(await leases.register('n1', 'http://127.0.0.1:2', 'life-3')).toBeGreaterThanOrEqual(Number(before));
    const [renewed] = (await leases.heartbeat('n1', 'life-3', LEASE_MS)).held;
    expect(renewed).toEqual({ instance_id: held?.instance_id, epoch: Number(held?.epoch) + 2 });
    expect(await leases.owner(held?.instance_id ?? '')).toEqual({ node_id: 'n1', url: 'http://127.0.0.1:2' });
  });

  it('acquire takes up to its limit of free leases, none for a limit of 0; the census counts live nodes and instances', async () => {
    await leases.register('n1', undefined, 'l1');
    await leases.register('n2', undefined, 'l2');
    expect(await leases.acquire('n1', LEASE_MS, 0)).toEqual([]);
    const first = await leases.acquire('n1', LEASE_MS, 2);
    const second = await leases.acquire('n2', LEASE_MS, 5);
    expect(first).toHaveLength(2);
    expect([...heldIds(first), ...heldIds(second)].sort()).toEqual(ids);
    expect(await leases.census(LEASE_MS)).toEqual({ nodes: 2, instances: 3 });
    expect(await leases.owner(second[0]?.instance_id ?? '')).toEqual({ node_id: 'n2', url: null });
  });

  it('heartbeat renews what the node holds; another life of the node holds nothing', async () => {
    await leases.register('n1', undefined, 'l1');
    const held = await leases.acquire('n1', LEASE_MS, 3);
    expect(await leases.heartbeat('n1', 'someone-else', LEASE_MS)).toEqual({ member: false, held: [] });
    const beat = await leases.heartbeat('n1', 'l1', LEASE_MS);
    expect(beat.member).toBe(true);
    expect(heldIds(beat.held)).toEqual(heldIds(held));
  });

  it('release gives the named leases up at once, logged with its reason; nothing named, nothing released', async () => {
    await leases.register('n1', undefined, 'l1');
    await leases.acquire('n1', LEASE_MS, 3);
    expect(await leases.release('n1', [], 'released')).toBe(0);
    expect(await leases.release('n1', [ids[0] ?? ''], 'rebalanced')).toBe(1);
    expect(await leases.owner(ids[0] ?? '')).toBeUndefined();
    expect(await leases.owner(ids[1] ?? '')).toMatchObject({ node_id: 'n1' });
    const [last] = await leases.moves(1);
    expect(last).toMatchObject({ instance_id: ids[0], from_node: 'n1', to_node: null, reason: 'rebalanced' });
    // Released, it is free for the next node at once.
    await leases.register('n2', undefined, 'l2');
    expect(heldIds(await leases.acquire('n2', LEASE_MS, 5))).toEqual([ids[0]]);
  });

  it('stopping takes the node out of the census; leaving removes it; both only for its own life', async () => {
    await leases.register('n1', undefined, 'l1');
    await leases.register('n2', undefined, 'l2');
    expect(await leases.stopping('n1', 'other-life')).toBe(0);
    expect(await leases.stopping('n1', 'l1')).toBe(1);
    expect(await leases.census(LEASE_MS)).toEqual({ nodes: 1, instances: 3 });
    expect((await leases.nodes(LEASE_MS)).map((n) => [n.node_id, n.stopping])).toEqual([
      ['n1', true],
      ['n2', false],
    ]);
    expect(await leases.leave('n1', 'other-life')).toBe(0);
    expect(await leases.leave('n1', 'l1')).toBe(1);
    expect((await leases.nodes(LEASE_MS)).map((n) => n.node_id)).toEqual(['n2']);
  });

  it('prune forgets old moves and silent nodes, and keeps recent ones', async () => {
    await leases.register('n1', undefined, 'l1');
    await leases.acquire('n1', LEASE_MS, 3);
    await leases.prune(LEASE_MS, LEASE_MS);
    expect(await leases.moves(10)).toHaveLength(3);
    expect(await leases.nodes(LEASE_MS)).toHaveLength(1);
    await new Promise((r) => setTimeout(r, 5));
    await leases.prune(0, 0);
    expect(await leases.moves(10)).toEqual([]);
    expect(await leases.nodes(LEASE_MS)).toEqual([]);
  });

  it('a write confirms only the leases held with the epoch its node knows', async () => {
    await leases.register('n1', undefined, 'l1');
    const held = new Map((await leases.acquire('n1', LEASE_MS, 3)).map((h) => [h.instance_id, Number(h.epoch)]));
    const stale = ids[1] ?? '';
    const fence = { nodeId: 'n1', epochOf: (id: string) => (id === stale ? Number(held.get(id)) - 1 : held.get(id)) };
    const confirmed = await store.writeTx(true, (tx) => confirmedInTx(tx, fence, ids));
    expect([...confirmed].sort()).toEqual([ids[0], ids[2]]);
  });
});
