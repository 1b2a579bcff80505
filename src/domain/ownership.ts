/**
 * Which instances this node works on (sends, sockets, webhook deliveries,
 * receipts). A single node owns every instance; in a cluster, a node owns
 * those whose lease it holds (cluster/lease-keeper.ts).
 */
export interface Ownership {
  /** Whether this node may start work for the instance now. */
  holds(instanceId: string): boolean;
  /**
   * The epoch of the lease this node holds on the instance (undefined: none).
   * Work begun under one epoch ends when the epoch changes, even if the
   * instance came back to this node meanwhile.
   */
  epochOf(instanceId: string): number | undefined;
}

export const OWNS_ALL: Ownership = { holds: () => true, epochOf: () => 0 };

/** Where an instance's live socket is. */
export type OwnerLocation = { kind: 'here' } | { kind: 'node'; nodeId: string; url: string | null } | { kind: 'nobody' };

/** Finds the node that answers for an instance (calls that need its live socket are passed there). */
export interface OwnerDirectory {
  readonly nodeId: string;
  locate(instanceId: string): Promise<OwnerLocation>;
}

/** Every instance is here (one node). */
export const SINGLE_NODE: OwnerDirectory = { nodeId: 'single', locate: async () => ({ kind: 'here' }) };
