/**
 * A node of a cluster (PostgreSQL, a node that sends): its lease keeper, and
 * what happens when instances change hands. Instances taken start their
 * sockets and queues; instances lost stop at once; instances handed over
 * finish the sends in hand and close their sockets before the lease goes.
 */
import type { Logger } from 'pino';
import { LeaseKeeper } from '../cluster/lease-keeper.js';
import type { Config } from '../config.js';
import type { Metrics } from '../metrics/metrics.js';
import { openStore, type Store } from '../store/database.js';
import { LeaseStatements } from '../store/leases.js';

/** The channel accept commits and ingests signal, so the owners of new messages look for them at once. */
export const WORK_CHANNEL = 'connexa_work';
/** The channel a new instance signals, so a node below its share takes its lease at once. */
export const LEASES_CHANNEL = 'connexa_leases';
/** The channel an instance's deletion signals, so every node drops the credentials it keeps in memory. */
export const CREDENTIALS_CHANNEL = 'connexa_credentials';
/** A node opened an event stream of an instance no stream asked for before: the others log its events too. */
export const EVENT_STREAMS_CHANNEL = 'connexa_event_streams';

/** The parts a lease change reaches, bound once they are built. */
export interface LeaseTargets {
  /** The instances were taken (again): their lanes are this node's to claim. */
  adopt(instanceIds: readonly string[]): void;
  forget(instanceId: string): void;
  drain(instanceIds: readonly string[]): Promise<void>;
  connect(instanceIds: readonly string[]): void;
  disconnect(instanceId: string): void;
}

export interface ClusterNode {
  keeper: LeaseKeeper;
  leases: LeaseStatements;
  /** Binds the parts a lease change reaches (they are built after the keeper, which they ask). */
  bind(targets: LeaseTargets): void;
  /** Closes the connections of the lease statements (after the keeper stopped). */
  close(): Promise<void>;
}

export function buildCluster(config: Config, store: Store, metrics: Metrics, logger: Logger): ClusterNode | undefined {
  if (config.database.dialect !== 'postgres' || !config.dispatch.enabled) return undefined;
  // Heartbeats on connections of their own: a busy pool (sends, accepts) must never make a node miss its lease.
  const leaseStore = openStore({ ...config.database, poolMax: 2 });
  const leases = new LeaseStatements(leaseStore);
  let targets: LeaseTargets | undefined;
  const on = (): LeaseTargets => {
    if (targets === undefined) throw new Error('cluster targets not bound');
    return targets;
  };
  const keeper = new LeaseKeeper(
    leases,
    {
      acquired: (ids) => {
        on().connect(ids);
        on().adopt(ids);
      },
      lost: (ids) => {
        for (const id of ids) {
          on().disconnect(id);
          on().forget(id);
        }
      },
      handOver: async (ids) => {
        await on().drain(ids);
        for (const id of ids) {
          on().disconnect(id);
          on().forget(id);
        }
      },
    },
    {
      nodeId: config.nodeId,
      url: config.cluster.nodeUrl,
      leaseMs: config.cluster.leaseMs,
      handOverStep: config.cluster.handOverStep,
      handOverCooldownBeats: 1,
    },
    logger.child({ component: 'cluster' }),
    {
      heartbeat: (ok) => metrics.heartbeats.inc({ result: ok ? 'ok' : 'failed' }),
      moved: (reason, count) => metrics.leaseMoves.inc({ reason }, count),
      released: () => store.signals?.signal(LEASES_CHANNEL),
    },
  );
  return {
    keeper,
    leases,
    bind: (t) => {
      targets = t;
    },
    close: () => leaseStore.close(),
  };
}
