/**
 * The dispatcher's queue in the database. Accepted messages are ingested into
 * the outbox behind a cursor; work is then claimed by lane (one instance +
 * recipient): a lane's messages go out one after another in acceptance order,
 * and a head that is backing off holds back the rest of its lane.
 *
 * A lane lock carries the time it was taken or last renewed; a lock older than
 * the lease is treated as abandoned, so a lane can never stay locked forever.
 */
import { DISPATCH_COLUMNS, type DispatchRow } from './schema.js';
import { placeholders, type Dialect, type Store, type Tx } from './database.js';
import { ingestFor, type Ingest } from './ingest-sql.js';
import { heldEpochsInTx, ownedBy, type Fence } from './leases.js';

export interface Lane {
  instanceId: string;
  recipient: string;
}

export interface LaneMessage {
  row: DispatchRow;
  /** Attempts already made (0 for a fresh message). */
  attempts: number;
}

export interface ClaimedLane extends Lane {
  messages: LaneMessage[];
}

/** Lets a pass take a newly opened lane at once, while it has room (see `ingestInTx`). */
export interface IngestClaim {
  nodeId: string;
  now: number;
  /** New lanes to take at most. */
  room: number;
  /** Messages handed over per lane at most. */
  perLane: number;
  /** Whether the instance may take one more lane (its share). */
  admit: (instanceId: string) => boolean;
}

export interface Ingested {
  /** Messages taken into the outbox. */
  count: number;
  /** The new lanes taken for this node, with their messages. */
  lanes: ClaimedLane[];
  /** The instances of the messages taken in. */
  instances: Set<string>;
}

export interface LaneRelease {
  lane: Lane;
  /** Set when the lane's head is backing off until then. */
  runAt: number | undefined;
}

/** A message that waited longer than the queue's time to live, and its lane. */
export interface ExpiredMessage {
  messageId: string;
  lane: Lane;
}

/**
 * Opens a lane unless it exists. The lookup first: on PostgreSQL an insert
 * that meets an existing lane another transaction is updating would wait for
 * it (and two such waits can deadlock); only new lanes are inserted.
 */
const OPEN_LANE = `INSERT INTO lanes (instance_id, recipient, run_at) SELECT CAST(? AS text), CAST(? AS text), CAST(? AS bigint)
  WHERE NOT EXISTS (SELECT 1 FROM lanes WHERE instance_id = ? AND recipient = ?)
  ON CONFLICT (instance_id, recipient) DO NOTHING`;
/**
 * A lane is free when no node holds it; in a cluster also when another node
 * does: only the instance's owner claims its lanes, so another node's lock is
 * a former owner's, left behind.
 */
function lockLane(cluster: boolean): string {
  return `UPDATE lanes SET locked_by = ?, locked_at = ? WHERE instance_id = ? AND recipient = ? AND ${cluster ? '(locked_by IS NULL OR locked_by <> ?)' : 'locked_by IS NULL'}`;
}
const RENEW_LANE = `UPDATE lanes SET locked_at = ? WHERE instance_id = ? AND recipient = ?`;
// Only the columns a send needs: materialising a row costs per column.
/**
 * A lane's first messages, in acceptance order. On PostgreSQL a message's
 * outbox row exists from its accept commit on, before an ingest has taken it
 * into its lane (`laned`): the head stops before the first message not taken
 * yet. Such a row may be held by another node's ingest right now, and waiting
 * for it (to count an attempt) while that ingest waits for a lane this
 * transaction opened would deadlock; it is sent once taken, still in order.
 */
function laneHead(dialect: Dialect): string {
  return `SELECT ${DISPATCH_COLUMNS.map((c) => `m.${c}`).join(', ')}, o.attempts AS outbox_attempts
  FROM outbox o JOIN messages m ON m.seq = o.seq
  WHERE o.instance_id = ? AND o.recipient = ?${
    dialect === 'postgres'
      ? ` AND o.laned AND NOT EXISTS (SELECT 1 FROM outbox u WHERE NOT u.laned AND u.instance_id = o.instance_id AND u.recipient = o.recipient AND u.seq < o.seq)`
      : ''
  } ORDER BY o.seq LIMIT ?`;
}
const DELAY = `UPDATE lanes SET locked_by = NULL, locked_at = NULL, run_at = ? WHERE instance_id = ? AND recipient = ?`;
const CLOSE_LANE = `DELETE FROM lanes WHERE instance_id = ? AND recipient = ?
  AND NOT EXISTS (SELECT 1 FROM outbox WHERE instance_id = ? AND recipient = ?)`;
const UNLOCK_LANE = `UPDATE lanes SET locked_by = NULL, locked_at = NULL WHERE instance_id = ? AND recipient = ?`;
const RELEASE_MINE = `UPDATE lanes SET locked_by = NULL, locked_at = NULL WHERE locked_by = ?`;
const RELEASE_MINE_OF = `UPDATE lanes SET locked_by = NULL, locked_at = NULL WHERE locked_by = ? AND instance_id = ANY(?::text[])`;
/**
 * Renewing and expiring touch many lanes at once: on PostgreSQL they skip
 * lanes another transaction holds (a claim, a release) rather than wait in
 * an order that could deadlock with it; a lane skipped now is done next poll.
 */
function expireSql(dialect: Dialect): string {
  return dialect === 'postgres'
    ? `UPDATE lanes SET locked_by = NULL, locked_at = NULL WHERE (instance_id, recipient) IN
        (SELECT instance_id, recipient FROM lanes WHERE locked_by IS NOT NULL AND locked_at < ? FOR UPDATE SKIP LOCKED)`
    : `UPDATE lanes SET locked_by = NULL, locked_at = NULL WHERE locked_by IS NOT NULL AND locked_at < ?`;
}
function renewSql(dialect: Dialect): string {
  return dialect === 'postgres'
    ? `UPDATE lanes SET locked_at = ? WHERE (instance_id, recipient) IN
        (SELECT instance_id, recipient FROM lanes WHERE locked_by = ? FOR UPDATE SKIP LOCKED)`
    : `UPDATE lanes SET locked_at = ? WHERE locked_by = ?`;
}
// Only lanes nobody is working: a message in hand is never expired under its sender.
function expired(cluster: boolean): string {
  return `SELECT o.message_id, o.instance_id, o.recipient FROM outbox o
  JOIN messages m ON m.seq = o.seq
  JOIN lanes l ON l.instance_id = o.instance_id AND l.recipient = o.recipient
  WHERE m.created_at < ? AND l.locked_by IS NULL${cluster ? ` AND ${ownedBy('o.instance_id')}` : ''} LIMIT ?`;
}

/**
 * Due lanes, oldest first, leaving out instances already working as many
 * lanes as their engine is worth. In a cluster (PostgreSQL), only lanes of
 * instances this node holds the lease of, and lanes another node is
 * claiming right now are skipped rather than waited for.
 */
function dueLanes(dialect: Dialect, cluster: boolean, busy: number): string {
  return `SELECT instance_id, recipient FROM lanes
    WHERE ${cluster ? `(locked_by IS NULL OR locked_by <> ?) AND ${ownedBy('instance_id')}` : 'locked_by IS NULL'} AND run_at <= ?${
      busy === 0 ? '' : ` AND instance_id NOT IN (${placeholders(busy)})`
    }
    ORDER BY run_at LIMIT ?${dialect === 'postgres' ? ' FOR UPDATE SKIP LOCKED' : ''}`;
}

export class OutboxStatements {
  private readonly ingester: Ingest;
  private readonly lockSql: string;

  /** `fence`: this node's leases, in a cluster (PostgreSQL); on SQLite the one node owns every instance. */
  constructor(
    private readonly store: Store,
    private readonly fence?: Fence,
  ) {
    this.ingester = ingestFor(store.dialect);
    this.lockSql = lockLane(fence !== undefined);
  }

  /**
   * Whether this node still holds each instance's lease with the epoch its
   * work began under, checked in `tx` (a write from older work is dropped:
   * the instance has changed hands since, if only to come back). Always on a
   * single node.
   */
  async confirmedInTx(tx: Tx, instanceIds: readonly string[]): Promise<(instanceId: string, epoch: number) => boolean> {
    if (this.fence === undefined) return () => true;
    const held = await heldEpochsInTx(tx, this.fence.nodeId, instanceIds);
    return (id, epoch) => held.get(id) === epoch;
  }

  private lock(tx: Tx, nodeId: string, now: number, lane: { instance_id: string; recipient: string }): Promise<number> {
    const params = [nodeId, now, lane.instance_id, lane.recipient];
    return tx.run(this.lockSql, this.fence === undefined ? params : [...params, nodeId]);
  }

  /**
   * Runs `fn` in one write transaction (not durable). The dispatcher composes
   * the `...InTx` methods here and in OutcomeStatements (built on the same
   * store) so that one pass costs one commit.
   */
  transaction<T>(fn: (tx: Tx) => Promise<T>): Promise<T> {
    return this.store.writeTx(false, fn);
  }

  /** `ingestInTx` in a transaction of its own. */
  async ingest(limit: number): Promise<number> {
    return (await this.transaction((tx) => this.ingestInTx(tx, limit))).count;
  }

  /**
   * Takes newly accepted messages into the outbox and their lanes, in
   * acceptance order, moving the cursor in the same transaction so each
   * message is taken exactly once, across crashes too (ingest-sql.ts: how,
   * on each database, no message committing late is passed over).
   *
   * With `claim`, a message that opens a lane (none of its recipient's
   * messages was waiting) takes the lane for this node at once, as a claim
   * would have, while there is room and its instance is admitted; later
   * messages of that lane in the batch join it. The caller passes `claim`
   * only once no older lane is due, so new lanes never go ahead of waiting ones.
   */
  async ingestInTx(tx: Tx, limit: number, claim?: IngestClaim): Promise<Ingested> {
    const rows = await this.ingester.newMessages(tx, limit);
    if (rows.length > 0) await this.ingester.taken(tx, rows);
    const keyOf = (r: { instance_id: string; recipient: string }) => `${r.instance_id}\n${r.recipient}`;
    // Each lane's first message in this batch, then the lanes opened in key order: two nodes ingesting at once
    // open lanes in the same order, so neither waits for the other's new lane while holding one it needs.
    const first = new Map<string, (typeof rows)[number]>();
    for (const r of rows) if (!first.has(keyOf(r))) first.set(keyOf(r), r);
    const opened = new Set<string>();
    for (const key of [...first.keys()].sort()) {
      const r = first.get(key);
      if (r !== undefined && (await tx.run(OPEN_LANE, [r.instance_id, r.recipient, r.created_at, r.instance_id, r.recipient])) === 1) opened.add(key);
    }
    const taken = new Map<string, ClaimedLane>();
    for (const found of rows) {
      const { seq: _seq, created_at: _created, ...row } = found;
      const key = keyOf(row);
      const mine = taken.get(key);
      if (mine !== undefined) {
        if (mine.messages.length < (claim?.perLane ?? 0)) mine.messages.push({ row, attempts: 0 });
        continue;
      }
      if (first.get(key) === found && opened.has(key) && claim !== undefined && taken.size < claim.room && claim.admit(row.instance_id)) {
        await this.lock(tx, claim.nodeId, claim.now, row);
        taken.set(key, { instanceId: row.instance_id, recipient: row.recipient, messages: [{ row, attempts: 0 }] });
      }
    }
    return { count: rows.length, lanes: [...taken.values()], instances: new Set(rows.map((r) => r.instance_id)) };
  }

  /**
   * Locks up to `limit` due lanes for this node, oldest first, and takes the
   * first messages of each, leaving out the instances in `busy` and the lanes
   * `admit` turns down (left as they are).
   */
  async claimInTx(
    tx: Tx,
    nodeId: string,
    now: number,
    limit: number,
    perLane: number,
    busy: readonly string[] = [],
    admit: (instanceId: string) => boolean = () => true,
  ): Promise<ClaimedLane[]> {
    const lanes: ClaimedLane[] = [];
    const cluster = this.fence === undefined ? [] : [nodeId, nodeId];
    const due = await tx.all<{ instance_id: string; recipient: string }>(dueLanes(this.store.dialect, this.fence !== undefined, busy.length), [
      ...cluster,
      now,
      ...busy,
      limit,
    ]);
    for (const l of due) {
      if (!admit(l.instance_id)) continue;
      if ((await this.lock(tx, nodeId, now, l)) !== 1) continue;
      const lane = { instanceId: l.instance_id, recipient: l.recipient };
      lanes.push({ ...lane, messages: await this.take(tx, lane, perLane) });
    }
    return lanes;
  }

  /** The next messages of a lane this node holds, renewing its lock. */
  takeFromLane(lane: Lane, now: number, limit: number): Promise<LaneMessage[]> {
    return this.transaction(async (tx) => {
      await tx.run(RENEW_LANE, [now, lane.instanceId, lane.recipient]);
      return this.take(tx, lane, limit);
    });
  }

  private async take(tx: Tx, lane: Lane, limit: number): Promise<LaneMessage[]> {
    const rows = await tx.all<DispatchRow & { outbox_attempts: number }>(laneHead(this.store.dialect), [lane.instanceId, lane.recipient, limit]);
    return rows.map(({ outbox_attempts, ...row }) => ({ row, attempts: outbox_attempts }));
  }

  /**
   * Gives lanes back. A lane whose head is backing off sleeps until `runAt`;
   * an empty lane is removed; any other is unlocked for the next claim.
   */
  async releaseInTx(tx: Tx, releases: readonly LaneRelease[]): Promise<void> {
    for (const { lane, runAt } of releases) {
      if (runAt !== undefined) {
        await tx.run(DELAY, [runAt, lane.instanceId, lane.recipient]);
      } else if ((await tx.run(CLOSE_LANE, [lane.instanceId, lane.recipient, lane.instanceId, lane.recipient])) === 0) {
        await tx.run(UNLOCK_LANE, [lane.instanceId, lane.recipient]);
      }
    }
  }

  /**
   * Messages accepted before `acceptedBefore` and still waiting, in lanes no
   * one holds (at most `limit`). Fail them in the same transaction.
   */
  async expiredInTx(tx: Tx, acceptedBefore: number, limit: number): Promise<ExpiredMessage[]> {
    const owner = this.fence === undefined ? [] : [this.fence.nodeId];
    const rows = await tx.all<{ message_id: string; instance_id: string; recipient: string }>(expired(this.fence !== undefined), [
      acceptedBefore,
      ...owner,
      limit,
    ]);
    return rows.map((r) => ({ messageId: r.message_id, lane: { instanceId: r.instance_id, recipient: r.recipient } }));
  }

  /**
   * At start, the locks this node holds are from its previous life: they are
   * released. Other nodes' locks stay theirs (they expire if not renewed).
   */
  releaseLocksOf(nodeId: string): Promise<number> {
    return this.store.writeTx(false, (tx) => tx.run(RELEASE_MINE, [nodeId]));
  }

  /**
   * A cluster node (re)took these instances' leases: locks it holds on their
   * lanes are from work under an earlier lease, whose releases were fenced
   * off; they are released so the lanes can be claimed again.
   */
  releaseLocksOfInstances(nodeId: string, instanceIds: readonly string[]): Promise<number> {
    if (instanceIds.length === 0 || this.store.dialect !== 'postgres') return Promise.resolve(0);
    return this.store.writeTx(false, (tx) => tx.run(RELEASE_MINE_OF, [nodeId, [...instanceIds]]));
  }

  /** Renews every lock this node holds: lanes waiting on pacing are still in hand. */
  renewLocks(nodeId: string, now: number): Promise<number> {
    return this.store.writeTx(false, (tx) => tx.run(renewSql(this.store.dialect), [now, nodeId]));
  }

  /** Frees locks not renewed since `before` (a lane whose release was lost). */
  expireLocks(before: number): Promise<number> {
    return this.store.writeTx(false, (tx) => tx.run(expireSql(this.store.dialect), [before]));
  }
}
