/**
 * This node's leases (PostgreSQL: several nodes, one database). A heartbeat
 * every third of the lease time renews them; what it no longer finds renewed
 * (another node took it after this one went quiet) is dropped at once.
 *
 * Fair share: each node holds about `ceil(instances / live nodes)`. A node
 * below it takes free leases (never held, released, or expired: a dead
 * node's, within the lease time); a node above it hands a few over per
 * heartbeat, after a cooldown, so a joining node fills up gradually and
 * nothing moves back and forth. A handover finishes the sends in hand and
 * closes the socket before the lease is given up; on a graceful stop every
 * lease is handed over so.
 *
 * Local certainty: a lease counts as held only until the start of the last
 * successful heartbeat plus the lease time, less a margin, on this
 * process's monotonic clock. A node paused past that (SIGSTOP, a long GC, a
 * partition) stops at once on waking, before it learns anything from the
 * database; its writes in flight are fenced off there by the epoch.
 */
import { randomUUID } from 'node:crypto';
import type { Logger } from 'pino';
import type { Ownership } from '../domain/ownership.js';
import type { Fence, HeldLease, LeaseStatements } from '../store/leases.js';

export interface LeaseKeeperOptions {
  nodeId: string;
  /** Where other nodes reach this one (forwarded calls); shown in the cluster view. */
  url: string | undefined;
  leaseMs: number;
  /** Leases handed over per heartbeat by a node above its share. */
  handOverStep: number;
  /** Heartbeats between two handovers of one node. */
  handOverCooldownBeats: number;
}

/** What the rest of the node does when leases change hands. */
export interface LeaseListener {
  /** Leases taken: start the instances' work (sockets, queues). */
  acquired(instanceIds: string[]): void;
  /** Leases lost without warning: stop the instances' work at once. */
  lost(instanceIds: string[]): void;
  /** Leases about to be given up: finish the work in hand and close the sockets. */
  handOver(instanceIds: string[]): Promise<void>;
}

export interface LeaseEvents {
  heartbeat(ok: boolean): void;
  moved(reason: 'acquired' | 'lost' | 'handed_over', count: number): void;
  /** Leases were given up: the other nodes may take them now. */
  released?(): void;
}

export class LeaseKeeper implements Ownership, Fence {
  readonly nodeId: string;
  private readonly incarnation = randomUUID();
  private readonly held = new Map<string, number>();
  /** Held, but being handed over: no new work, writes of the work in hand still allowed. */
  private readonly leaving = new Set<string>();
  private sureUntil = 0;
  private member = true;
  private beatsSinceHandOver = 0;
  private timer: NodeJS.Timeout | undefined;
  private running: Promise<void> | undefined;
  /** A tick asked for while one ran: one more follows it (it may have read the census before the change). */
  private again = false;
  /** A handover in progress: heartbeats go on meanwhile (its sends may take a while). */
  private handing: Promise<void> | undefined;
  private stopped = false;
  /** Out of the cluster (its row deleted): heartbeats no longer run. */
  private left = false;

  constructor(
    private readonly leases: LeaseStatements,
    private readonly listener: LeaseListener,
    private readonly o: LeaseKeeperOptions,
    private readonly logger: Logger,
    private readonly events: LeaseEvents = { heartbeat: () => {}, moved: () => {} },
    private readonly clock: () => number = () => performance.now(),
  ) {
    this.nodeId = o.nodeId;
  }

  holds(instanceId: string): boolean {
    return this.sure() && this.held.has(instanceId) && !this.leaving.has(instanceId);
  }

  epochOf(instanceId: string): number | undefined {
    return this.sure() ? this.held.get(instanceId) : undefined;
  }

  /** Leases held now (for the cluster view and metrics). */
  get count(): number {
    return this.sure() ? this.held.size : 0;
  }

  /** Whether the last heartbeat is recent enough for the leases to count (readiness). */
  healthy(): boolean {
    return this.member && this.sure();
  }

  async start(): Promise<void> {
    const previous = await this.leases.register(this.o.nodeId, this.o.url, this.incarnation);
    if (previous !== undefined) {
      this.logger.warn(
        { nodeId: this.o.nodeId },
        'this node id was registered before (a restart, or another process with the same CONNEXA_NODE_ID, which is now fenced off)',
      );
    }
    await this.beat();
    this.timer = setInterval(() => void this.tick(), Math.max(50, Math.floor(this.o.leaseMs / 3)));
  }

  /** Hands every lease over (work in hand finished, sockets closed), then leaves the cluster. */
  async stop(): Promise<void> {
    this.stopped = true;
    await this.running;
    await this.handing;
    try {
      await this.leases.stopping(this.o.nodeId, this.incarnation).catch(() => 0);
      // Heartbeats go on while the work in hand finishes, so the leases stay this node's until given up.
      const all = [...this.held.keys()];
      if (all.length > 0 && this.sure()) await this.handOver(all, 'stopped');
    } finally {
      if (this.timer !== undefined) clearInterval(this.timer);
      await this.running;
      this.left = true;
      await this.leases.leave(this.o.nodeId, this.incarnation).catch((err: unknown) => this.logger.error({ err }, 'could not leave the cluster'));
    }
  }

  /** One heartbeat now (the timer, and a new instance, call it). Calls do not overlap: one during a heartbeat runs after it. */
  tick(): Promise<void> {
    if (this.left) return Promise.resolve();
    if (this.running !== undefined) {
      this.again = true;
      return this.running;
    }
    this.running = this.beat()
      .catch((err: unknown) => {
        this.events.heartbeat(false);
        this.logger.error({ err }, 'lease heartbeat failed');
        if (!this.sure()) this.drop([...this.held.keys()], 'the heartbeat failed for longer than the lease');
      })
      .finally(() => {
        this.running = undefined;
        if (this.again && !this.stopped) {
          this.again = false;
          void this.tick();
        }
      });
    return this.running;
  }

  private sure(): boolean {
    return this.clock() < this.sureUntil;
  }

  private async beat(): Promise<void> {
    if (!this.sure()) this.drop([...this.held.keys()], 'this node was silent for longer than the lease');
    const began = this.clock();
    const { member, held } = await this.leases.heartbeat(this.o.nodeId, this.incarnation, this.o.leaseMs);
    this.events.heartbeat(true);
    if (!member) {
      if (this.member) this.logger.error({ nodeId: this.o.nodeId }, 'another process registered this CONNEXA_NODE_ID; this one gives up its instances');
      this.member = false;
      this.drop([...this.held.keys()], 'another process took this node id');
      return;
    }
    // Less a margin for the two clocks' rates and the heartbeat's own time.
    this.sureUntil = began + this.o.leaseMs - Math.min(1_000, this.o.leaseMs / 10);
    const renewed = new Map(held.map((h) => [h.instance_id, h.epoch]));
    this.drop(
      [...this.held].filter(([id, epoch]) => renewed.get(id) !== epoch).map(([id]) => id),
      'taken over by another node',
    );
    // Leases the database says are this node's that it does not know of: held before a restart (their epochs
    // moved on at registration), or dropped while it was unsure of them and still not taken by anyone.
    this.take(
      held.filter((h) => !this.held.has(h.instance_id)),
      'resumed instances this node still holds',
    );
    if (this.stopped) return;
    await this.rebalance();
  }

  private async rebalance(): Promise<void> {
    const { nodes, instances } = await this.leases.census(this.o.leaseMs);
    const share = Math.ceil(instances / Math.max(1, nodes));
    this.beatsSinceHandOver++;
    if (this.held.size < share) {
      this.take(await this.leases.acquire(this.o.nodeId, this.o.leaseMs, share - this.held.size), 'took instances over');
    } else if (this.held.size > share && this.handing === undefined && this.beatsSinceHandOver > this.o.handOverCooldownBeats) {
      this.beatsSinceHandOver = 0;
      const give = [...this.held.keys()].slice(0, Math.min(this.o.handOverStep, this.held.size - share));
      this.handing = this.handOver(give, 'rebalanced')
        .then(() => this.logger.info({ instances: give.length, held: this.held.size, share }, 'handed instances over to balance the cluster'))
        .catch((err: unknown) => this.logger.error({ err }, 'could not hand instances over'))
        .finally(() => {
          this.handing = undefined;
        });
    }
  }

  private async handOver(instanceIds: string[], reason: 'rebalanced' | 'stopped'): Promise<void> {
    for (const id of instanceIds) this.leaving.add(id);
    try {
      await this.listener.handOver(instanceIds);
      await this.leases.release(this.o.nodeId, instanceIds, reason);
      for (const id of instanceIds) this.held.delete(id);
      this.events.moved('handed_over', instanceIds.length);
      this.events.released?.();
    } catch (err) {
      // Still held (the release did not happen): the work that was wound down starts again.
      for (const id of instanceIds) this.leaving.delete(id);
      const still = instanceIds.filter((id) => this.held.has(id));
      if (still.length > 0 && !this.stopped) this.listener.acquired(still);
      throw err;
    }
    for (const id of instanceIds) this.leaving.delete(id);
  }

  private take(leases: readonly HeldLease[], why: string): void {
    if (leases.length === 0) return;
    for (const l of leases) this.held.set(l.instance_id, l.epoch);
    this.events.moved('acquired', leases.length);
    this.logger.info({ instances: leases.length, held: this.held.size }, why);
    this.listener.acquired(leases.map((l) => l.instance_id));
  }

  private drop(instanceIds: string[], why: string): void {
    if (instanceIds.length === 0) return;
    for (const id of instanceIds) this.held.delete(id);
    this.events.moved('lost', instanceIds.length);
    this.logger.warn({ instances: instanceIds.length, why }, 'lost instances');
    this.listener.lost(instanceIds);
  }
}
