/**
 * The outbox loop. It ingests accepted messages into the outbox, claims due
 * lanes (one instance + recipient each) and works through each lane's
 * messages in acceptance order: count the attempt, prepare media, hand to the
 * instance's engine, record the outcome. A transient failure puts the lane to
 * sleep until the retry time, holding back the messages behind it. All state
 * lives in rows: a crash leaves lanes locked, and the next start releases them,
 * so every accepted message is sent after a restart.
 *
 * Waiting: an instance whose engine says it cannot send now (a WhatsApp
 * number not connected) is parked: its lanes are left out of claims, its
 * messages stay `queued` with no attempt spent, until the engine reports it
 * ready and wakes a pass. Anything unsent past the queue's time to live fails
 * `expired`.
 *
 * Latency: an accept commit wakes a pass in the same turn of the event loop;
 * one commit ingests, claims and counts each lane's first attempt, and the
 * sends start right after it. A lane's last outcome and its release share a
 * commit too.
 */
import type { Logger } from 'pino';
import { CodedError } from '../domain/errors.js';
import { OWNS_ALL, type Ownership } from '../domain/ownership.js';
import type { Engine, OutgoingMessage } from '../engines/engine.js';
import { isMessageType } from '../domain/message.js';
import { LaneWrites } from './lane-writes.js';
import { expireOld } from './queue-expiry.js';
import { Coalescer } from '../util/coalescer.js';
import type { ClaimedLane, LaneMessage, LaneRelease, OutboxStatements } from '../store/outbox.js';
import type { AttemptStart, Outcome, OutcomeStatements } from '../store/outcomes.js';
import { exhaustedOutcome, failureOutcome, waitingOutcome } from './attempt-outcome.js';
import { LaneShares } from './lane-shares.js';
import type { EngineResolver } from './engine-resolver.js';
import type { MediaPreparer } from './media-preparer.js';

/** New messages taken into the outbox per pass. */
const INGEST_BATCH = 256;
/** Claim queries per pass (of `batchSize` lanes each): bounds the work of one turn of the event loop. */
const CLAIM_ROUNDS = 4;
/** A lane lock not renewed for this long is considered abandoned. */
const LANE_LEASE_MS = 10 * 60_000;
/** How often messages past the queue's time to live are looked for, and how many are failed per commit. */
const EXPIRY_EVERY_MS = 1_000;
const EXPIRY_BATCH = 256;
const DEFAULT_QUEUE_TTL_MS = 86_400_000;

export interface DispatcherOptions {
  nodeId: string;
  retryBaseMs: number;
  retryMaxDelayMs: number;
  maxAttempts: number;
  pollIntervalMs: number;
  /** Lanes claimed per query. */
  batchSize: number;
  /** Lanes worked on at once. */
  maxActiveLanes: number;
  /** A message still unsent this long after it was accepted fails with `expired` (default one day). */
  queueTtlMs?: number;
  /** Messages taken from a lane per query. */
  laneBatch: number;
  /** Told what each attempt came to, and the engine it went to when known (metrics). */
  onOutcome?: (outcome: Outcome, engine: string | undefined) => void;
  /** The instances this node works on (a cluster: those it holds the lease of); all by default. */
  ownership?: Ownership;
  /** Messages of instances another node owns were taken into lanes here: that node should look for them now. */
  onForeignWork?: () => void;
}

export class Dispatcher {
  private readonly active = new Set<Promise<void>>();
  private readonly writes: LaneWrites;
  private readonly ownership: Ownership;
  private readonly aborter = new AbortController();
  private readonly shares = new LaneShares();
  /** Instances that cannot send now: left out of claims until their engine says they are ready. */
  private readonly waiting = new Set<string>();
  /** Each instance's engine, learned with its share: whether it can send is then known at claim time. */
  private readonly known = new Map<string, Engine>();
  private lastExpiry = 0;
  private readonly claimer = new Coalescer(
    () => this.claimPass(),
    (err) => this.logger.error({ err }, 'dispatcher could not claim work; will retry on the next poll'),
    () => this.stopped,
  );
  private wakeScheduled = false;
  private stopped = true;
  private poll: NodeJS.Timeout | undefined;

  constructor(
    private readonly outbox: OutboxStatements,
    private readonly results: OutcomeStatements,
    private readonly engines: EngineResolver,
    private readonly media: MediaPreparer,
    private readonly options: DispatcherOptions,
    private readonly logger: Logger,
    private readonly now: () => number = Date.now,
  ) {
    this.ownership = options.ownership ?? OWNS_ALL;
    this.writes = new LaneWrites(this.outbox, this.results);
    for (const engine of this.engines.all()) {
      engine.readiness?.onReady((instanceId) => {
        if (this.waiting.delete(instanceId)) this.wake();
      });
    }
  }

  async start(): Promise<void> {
    const released = await this.outbox.releaseLocksOf(this.options.nodeId);
    if (released > 0) this.logger.info({ lanes: released }, 'resuming lanes claimed before the last stop');
    this.stopped = false;
    this.poll = setInterval(() => {
      // Lanes in hand stay ours however long they wait (pacing); only lost ones expire.
      this.outbox
        .renewLocks(this.options.nodeId, this.now())
        .then(() => this.outbox.expireLocks(this.now() - LANE_LEASE_MS))
        .catch((err: unknown) => this.logger.error({ err }, 'could not renew or expire lane locks'));
      if (this.now() - this.lastExpiry >= EXPIRY_EVERY_MS) {
        this.lastExpiry = this.now();
        this.expireOld().catch((err: unknown) => this.logger.error({ err }, 'could not expire old messages'));
      }
      this.wake();
    }, this.options.pollIntervalMs);
    this.wake();
  }

  /**
   * Stops claiming, cancels media downloads in progress (their messages are
   * retried at the next start), lets each lane finish the send in hand and
   * records every outcome.
   */
  async stop(): Promise<void> {
    this.stopped = true;
    if (this.poll !== undefined) clearInterval(this.poll);
    this.aborter.abort(new CodedError('shutting_down', 'The gateway is shutting down; the message will be retried', true));
    while (this.active.size > 0 || this.claimer.busy) {
      await Promise.allSettled([...this.active]);
      await new Promise((r) => setImmediate(r));
    }
    await this.writes.drain();
  }

  /**
   * This node took these instances' leases (again): its own locks on their
   * lanes, left by work under an earlier lease, are released, and a pass runs.
   */
  async adopt(instanceIds: readonly string[]): Promise<void> {
    await this.outbox.releaseLocksOfInstances(this.options.nodeId, instanceIds);
    this.wake();
  }

  /**
   * Resolves once no lane of these instances is being worked here (their
   * lease is being handed over: no new lane is claimed for them, and a lane
   * in hand stops after the send it is making).
   */
  async drain(instanceIds: readonly string[]): Promise<void> {
    while (instanceIds.some((id) => this.shares.running(id))) await new Promise((r) => setTimeout(r, 10));
  }

  /**
   * The instance was deleted: what was known of it goes, and a pass runs, so
   * its waiting messages are claimed and fail `instance_not_found`.
   */
  forget(instanceId: string): void {
    this.known.delete(instanceId);
    if (this.waiting.delete(instanceId)) this.wake();
  }

  /**
   * Something may be due: new messages were accepted, or a lane was released.
   * The pass runs as soon as the caller's callback (the accept commit, say)
   * has finished, in the same turn of the event loop: waiting for the next
   * turn would add a whole poll phase (every request ready by then) to each
   * message's dispatch latency. Calls until then share the one pass.
   */
  wake(): void {
    if (this.stopped || this.wakeScheduled) return;
    this.wakeScheduled = true;
    process.nextTick(() => {
      this.wakeScheduled = false;
      void this.pump();
    });
  }

  private pump(): Promise<void> {
    return this.claimer.run();
  }

  /**
   * One claim pass, one commit: lock the due lanes there is room for (oldest
   * first, each instance within its share), take new messages into the
   * outbox (the lanes they open are taken at once while room is left), and
   * count the attempt each lane's first message is about to get. True when
   * it filled a batch (more is probably due); it then yields first.
   */
  private async claimPass(): Promise<boolean> {
    const room = Math.min(this.options.batchSize * CLAIM_ROUNDS, this.options.maxActiveLanes - this.active.size);
    const now = this.now();
    const counted = new Set<string>();
    const busy = [...this.shares.busy(), ...this.waiting];
    const { ingested, lanes, full, foreign } = await this.outbox.transaction(async (tx) => {
      const lanes: ClaimedLane[] = [];
      const admitShare = this.shares.admitter();
      const admit = (instanceId: string) => !this.waiting.has(instanceId) && this.ownership.holds(instanceId) && admitShare(instanceId);
      // Lanes already waiting go first, oldest first; then the lanes new messages open, while there is room.
      let full = false;
      while (!this.stopped && lanes.length < room) {
        const want = Math.min(this.options.batchSize, room - lanes.length);
        const claimed = await this.outbox.claimInTx(tx, this.options.nodeId, now, want, this.options.laneBatch, busy, admit);
        lanes.push(...claimed);
        full = claimed.length === want;
        if (!full) break;
      }
      const open = !this.stopped && !full && lanes.length < room;
      const ingested = await this.outbox.ingestInTx(
        tx,
        INGEST_BATCH,
        open ? { nodeId: this.options.nodeId, now, room: room - lanes.length, perLane: this.options.laneBatch, admit } : undefined,
      );
      if (open && ingested.lanes.length === room - lanes.length) full = true;
      lanes.push(...ingested.lanes);
      const starts: AttemptStart[] = [];
      for (const {
        instanceId,
        messages: [head],
      } of lanes) {
        // An instance whose readiness is not known yet is asked first (runLane), then counted.
        if (head === undefined || head.attempts >= this.options.maxAttempts || !this.readyNow(instanceId)) continue;
        starts.push({ messageId: head.row.id, attempt: head.attempts + 1, at: now });
        counted.add(head.row.id);
      }
      await this.results.beginInTx(tx, starts);
      return { ingested: ingested.count, lanes, full, foreign: [...ingested.instances].some((id) => !this.ownership.holds(id)) };
    });
    if (foreign) this.options.onForeignWork?.();
    for (const lane of lanes) this.track(this.runLane(lane, counted.has(lane.messages[0]?.row.id ?? '')));
    const more = !this.stopped && (ingested === INGEST_BATCH || full);
    if (more) await new Promise((resolve) => setImmediate(resolve));
    return more;
  }

  /** Whether the instance's engine is known and says it can send now. */
  private readyNow(instanceId: string): boolean {
    const engine = this.known.get(instanceId);
    return engine !== undefined && (engine.readiness?.canSend(instanceId) ?? true);
  }

  private async expireOld(): Promise<void> {
    const n = await expireOld(this.outbox, this.results, this.options.queueTtlMs ?? DEFAULT_QUEUE_TTL_MS, this.now(), EXPIRY_BATCH);
    if (n > 0) this.logger.info({ messages: n }, 'messages expired in the queue');
  }

  /** The first lane of an instance learns what its engine is worth. */
  private async learnShare(instanceId: string): Promise<void> {
    const engine = await this.engines.forInstance(instanceId).catch(() => undefined);
    if (engine !== undefined) this.known.set(instanceId, engine);
    // An instance without a usable engine still gets its lanes worked (and its messages failed).
    this.shares.learn(instanceId, engine?.capabilities.lanesPerInstance ?? Number.POSITIVE_INFINITY);
    this.wake();
  }

  private track(p: Promise<void>): void {
    this.active.add(p);
    void p.finally(() => {
      this.active.delete(p);
      this.wake();
    });
  }

  /** Works a claimed lane; its first message's attempt is already counted when `headCounted`. */
  private async runLane(claimed: ClaimedLane, headCounted: boolean): Promise<void> {
    const lane = { instanceId: claimed.instanceId, recipient: claimed.recipient };
    // The lease this lane is worked under: if it changes (lost, even if taken back since), the lane stops here.
    const epoch = this.ownership.epochOf(lane.instanceId) ?? -1;
    const mine = (): boolean => this.ownership.holds(lane.instanceId) && this.ownership.epochOf(lane.instanceId) === epoch;
    let release: LaneRelease = { lane, runAt: undefined };
    let released = false;
    let batch = claimed.messages;
    let counted = headCounted;
    this.shares.take(lane.instanceId);
    try {
      if (!this.shares.knows(lane.instanceId)) await this.learnShare(lane.instanceId);
      lane: while (batch.length > 0) {
        const last = batch.length < this.options.laneBatch;
        for (const [i, item] of batch.entries()) {
          // A counted attempt is made even when stopping (a shutdown turns it into a retry).
          const isCounted = counted && i === 0;
          if (this.stopped && !isCounted) break lane;
          // The lease went to another node, or is being handed over: its new owner sends the rest.
          if (!mine()) break lane;
          const outcome = await this.attempt(item, isCounted, epoch);
          // A waiting instance gives its lane back as it is: claimed again once the instance is ready.
          const done = outcome.kind === 'retry' || outcome.kind === 'waiting' || (last && i === batch.length - 1);
          if (outcome.kind === 'retry' || (outcome.kind === 'waiting' && outcome.runAt !== undefined)) release = { lane, runAt: outcome.runAt };
          const instanceId = lane.instanceId;
          await this.writes.complete(done ? { instanceId, epoch, outcome, release } : { instanceId, epoch, outcome });
          if (done) {
            released = true;
            break lane;
          }
        }
        if (this.stopped || last) break;
        batch = await this.outbox.takeFromLane(lane, this.now(), this.options.laneBatch);
        counted = false;
      }
    } catch (err) {
      // Could not record: come back to the lane later rather than lose track of it.
      this.logger.error({ err }, 'dispatcher failed while working a lane; it will be retried');
      release = { lane, runAt: this.now() + this.options.pollIntervalMs };
    }
    if (!released) {
      try {
        await this.writes.complete({ instanceId: lane.instanceId, epoch, release });
      } catch (err) {
        this.logger.error({ err }, 'could not release a lane; its lock expires after the lease');
      }
    }
    this.shares.give(lane.instanceId);
  }

  private async attempt(item: LaneMessage, counted: boolean, epoch: number): Promise<Outcome> {
    const seen: { engine?: string } = {};
    const outcome = await this.tryOnce(item, counted, epoch, seen);
    // Waiting is not an attempt.
    if (outcome.kind !== 'waiting') this.options.onOutcome?.(outcome, seen.engine);
    return outcome;
  }

  private async tryOnce({ row, attempts }: LaneMessage, counted: boolean, epoch: number, seen: { engine?: string }): Promise<Outcome> {
    const attempt = attempts + 1;
    if (attempt > this.options.maxAttempts) return exhaustedOutcome(row.id, attempts, this.now());
    let engine: Engine | undefined;
    let unresolved: unknown;
    try {
      engine = await this.engines.forInstance(row.instance_id);
      seen.engine = engine.name;
    } catch (err) {
      unresolved = err;
    }
    if (engine !== undefined && !this.canSend(engine, row.instance_id)) return this.wait(row.id, counted);
    if (!counted) await this.writes.start({ instanceId: row.instance_id, epoch, messageId: row.id, attempt, at: this.now() });
    try {
      if (engine === undefined) throw unresolved;
      if (!isMessageType(row.type)) throw new CodedError('internal_error', 'Stored message has an unknown type');
      const media = await this.media.prepare(row, this.aborter.signal);
      const message: OutgoingMessage = {
        messageId: row.id,
        instanceId: row.instance_id,
        type: row.type,
        recipient: row.recipient,
        text: row.text ?? undefined,
        media,
        attempt,
        signal: this.aborter.signal,
      };
      const result = await engine.send(message);
      return { kind: 'sent', messageId: row.id, providerId: result.providerId, at: this.now() };
    } catch (err) {
      // The number dropped during the send: the attempt is given back and the message waits.
      if (engine !== undefined && err instanceof CodedError && err.code === 'instance_not_connected' && !this.canSend(engine, row.instance_id)) {
        return this.wait(row.id, true);
      }
      return this.failure(row.id, attempt, err);
    }
  }

  /** Asks the engine; an instance that cannot send is parked at once (in this turn, before any ready event can pass). */
  private canSend(engine: Engine, instanceId: string): boolean {
    if (engine.readiness === undefined || engine.readiness.canSend(instanceId)) return true;
    this.waiting.add(instanceId);
    return false;
  }

  private wait(messageId: string, refund: boolean): Outcome {
    return waitingOutcome(messageId, refund, this.now());
  }

  private failure(messageId: string, attempt: number, err: unknown): Outcome {
    const interrupted = this.stopped && err === this.aborter.signal.reason;
    return failureOutcome(messageId, attempt, err, this.now(), this.options, interrupted, (e) =>
      this.logger.error({ err: e, messageId }, 'unexpected error while sending'),
    );
  }
}
