/** Where each instance's live socket is, in a cluster: here when this node holds its lease, else the lease holder. */
import type { OwnerDirectory, OwnerLocation } from '../domain/ownership.js';
import type { LeaseStatements } from '../store/leases.js';
import type { LeaseKeeper } from './lease-keeper.js';

export function clusterOwners(keeper: LeaseKeeper, leases: LeaseStatements): OwnerDirectory {
  return {
    nodeId: keeper.nodeId,
    async locate(instanceId): Promise<OwnerLocation> {
      if (keeper.holds(instanceId)) return { kind: 'here' };
      let owner = await leases.owner(instanceId);
      if (owner === undefined) {
        // A new instance no node has taken yet: a heartbeat now takes it if this node is below its share.
        await keeper.tick();
        if (keeper.holds(instanceId)) return { kind: 'here' };
        owner = await leases.owner(instanceId);
      }
      if (owner === undefined) return { kind: 'nobody' };
      // Held here but being handed over: answered here until the lease goes.
      if (owner.node_id === keeper.nodeId) return { kind: 'here' };
      return { kind: 'node', nodeId: owner.node_id, url: owner.url };
    },
  };
}
