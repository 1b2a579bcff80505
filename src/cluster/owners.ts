/**
 * Where each instance's live socket is, in a cluster: here when this node
 * holds its lease, else the lease holder. A node that sends nothing
 * (CONNEXA_DISPATCH=false) holds no lease and passes every such call on.
 * The lookups run on the main pool, never on the heartbeat's connections.
 */
import type { OwnerDirectory, OwnerLocation } from '../domain/ownership.js';
import type { LeaseStatements } from '../store/leases.js';
import type { LeaseKeeper } from './lease-keeper.js';

/** A lookup that finds no owner runs a heartbeat at most this often (a new instance is usually taken at once anyway). */
const NOBODY_TICK_MS = 250;

export function clusterOwners(nodeId: string, keeper: LeaseKeeper | undefined, leases: LeaseStatements): OwnerDirectory {
  let lastTick = 0;
  return {
    nodeId,
    async locate(instanceId): Promise<OwnerLocation> {
      if (keeper?.holds(instanceId) === true) return { kind: 'here' };
      let owner = await leases.owner(instanceId);
      if (owner === undefined && keeper !== undefined && Date.now() - lastTick >= NOBODY_TICK_MS) {
        // No node holds it yet (just created, or its node just died): a heartbeat now takes it if this node is below its share.
        lastTick = Date.now();
        await keeper.tick();
        if (keeper.holds(instanceId)) return { kind: 'here' };
        owner = await leases.owner(instanceId);
      }
      if (owner === undefined) return { kind: 'nobody' };
      // Held here but being handed over: answered here until the lease goes.
      if (keeper !== undefined && owner.node_id === nodeId) return { kind: 'here' };
      return { kind: 'node', nodeId: owner.node_id, url: owner.url };
    },
  };
}
