/**
 * The outbox loop. It ingests accepted messages into the outbox, claims due
 * lanes (one instance + recipient each) and works through each lane's
 * messages in acceptance order: count the attempt, prepare media, hand to the
 * instance's engine, record the outcome. A transient failure puts the lane to
 * sleep until the retry time, holding back the messages behind it. All state
 * lives in rows: a crash leaves lanes locked, and the next start releases them,
 * so every accepted message is sent after a restart.
 */
import type { Logger } from 'pino';
import { CodedError } from '../domain/errors.js';
import type { OutgoingMessage } from '../engines/engine.js';
import { isMessageType } from '../domain/message.js';
import { BatchWriter } from '../store/batch-writer.js';
import { Coalescer } from '../util/coalescer.js';
import type { ClaimedLane, LaneMessage, LaneRelease, OutboxStatements } from '../store/outbox.js';
import type { AttemptStart, Outcome, OutcomeStatements } from '../store/outcomes.js';
import { retryDelayMs } from './backoff.js';
import type { EngineResolver } from './engine-resolver.js';
import type { MediaPreparer } from './media-preparer.js';

/** New messages taken into the outbox per transaction. */
const INGEST_BATCH = 256;
/** A lane lock not renewed for this long is considered abandoned. */
const LANE_LEASE_MS = 10 * 60_000;

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
  /** Messages taken from a lane per query. */
  laneBatch: number;
}

export class Dispatcher {
  private readonly active = new Set<Promise<void>>();
  private readonly starts: BatchWriter<AttemptStart>;
  private readonly outcomes: BatchWriter<Outcome>;
  private readonly releases: BatchWriter<LaneRelease>;
  private readonly aborter = new AbortController();
  /** Lanes in hand per instance, and how many its engine is worth (learned when a lane runs). */
  private readonly activeByInstance = new Map<string, number>();
  private readonly lanesPerInstance = new Map<string, number>();
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
    this.starts = new BatchWriter((items) => this.results.begin(items));
    this.outcomes = new BatchWriter((items) => this.results.record(items));
    this.releases = new BatchWriter((items) => this.outbox.releaseLanes(items));
  }

  async start(): Promise<void> {
    const released = await this.outbox.releaseAllLocks();
    if (released > 0) this.logger.info({ lanes: released }, 'resuming lanes claimed before the last stop');
    this.stopped = false;
    this.poll = setInterval(() => {
      // Lanes in hand stay ours however long they wait (pacing); only lost ones expire.
      this.outbox.renewLocks(this.options.nodeId, this.now())
        .then(() => this.outbox.expireLocks(this.now() - LANE_LEASE_MS))
        .catch((err: unknown) => this.logger.error({ err }, 'could not renew or expire lane locks'));
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
    await this.starts.drain();
    await this.outcomes.drain();
    await this.releases.drain();
  }

  /** Something may be due: new messages were accepted, or a lane was released. */
  wake(): void {
    if (this.stopped || this.wakeScheduled) return;
    this.wakeScheduled = true;
    setImmediate(() => {
      this.wakeScheduled = false;
      void this.pump();
    });
  }

  private pump(): Promise<void> {
    return this.claimer.run();
  }

  /** One claim pass; true when it filled its batch (more is probably due). */
  private async claimPass(): Promise<boolean> {
    while ((await this.outbox.ingest(INGEST_BATCH)) === INGEST_BATCH && !this.stopped) {
      await new Promise((resolve) => setImmediate(resolve));
    }
    const room = Math.min(this.options.batchSize, this.options.maxActiveLanes - this.active.size);
    if (room <= 0 || this.stopped) return false;
    const lanes = await this.outbox.claimLanes(this.options.nodeId, this.now(), room, this.options.laneBatch, this.busyInstances());
    for (const lane of lanes) {
      if (await this.hasRoomFor(lane.instanceId)) this.track(this.runLane(lane));
      // Over the instance's share: give the lane back untouched; the next claim skips the instance.
      else await this.releases.submit({ lane: { instanceId: lane.instanceId, recipient: lane.recipient }, runAt: undefined });
    }
    return lanes.length === room;
  }

  private async hasRoomFor(instanceId: string): Promise<boolean> {
    if (!this.lanesPerInstance.has(instanceId)) {
      const engine = await this.engines.forInstance(instanceId).catch(() => undefined);
      // An instance without a usable engine still gets its lanes worked (and its messages failed).
      this.lanesPerInstance.set(instanceId, engine?.capabilities.lanesPerInstance ?? Number.POSITIVE_INFINITY);
    }
    return (this.activeByInstance.get(instanceId) ?? 0) < (this.lanesPerInstance.get(instanceId) ?? Number.POSITIVE_INFINITY);
  }

  private busyInstances(): string[] {
    const busy: string[] = [];
    for (const [instanceId, active] of this.activeByInstance) {
      if (active >= (this.lanesPerInstance.get(instanceId) ?? Number.POSITIVE_INFINITY)) busy.push(instanceId);
    }
    return busy;
  }

  private track(p: Promise<void>): void {
    this.active.add(p);
    void p.finally(() => {
      this.active.delete(p);
      this.wake();
    });
  }

  private async runLane(claimed: ClaimedLane): Promise<void> {
    const lane = { instanceId: claimed.instanceId, recipient: claimed.recipient };
    let runAt: number | undefined;
    let batch = claimed.messages;
    this.activeByInstance.set(lane.instanceId, (this.activeByInstance.get(lane.instanceId) ?? 0) + 1);
    try {
      lane: while (batch.length > 0) {
        for (const item of batch) {
          if (this.stopped) break lane;
          const outcome = await this.attempt(item);
          await this.outcomes.submit(outcome);
          if (outcome.kind === 'retry') {
            runAt = outcome.runAt;
            break lane;
          }
        }
        if (this.stopped || batch.length < this.options.laneBatch) break;
        batch = await this.outbox.takeFromLane(lane, this.now(), this.options.laneBatch);
      }
    } catch (err) {
      // Could not record: come back to the lane later rather than lose track of it.
      this.logger.error({ err }, 'dispatcher failed while working a lane; it will be retried');
      runAt = this.now() + this.options.pollIntervalMs;
    }
    try {
      await this.releases.submit({ lane, runAt });
    } catch (err) {
      this.logger.error({ err }, 'could not release a lane; its lock expires after the lease');
    }
    const left = (this.activeByInstance.get(lane.instanceId) ?? 1) - 1;
    if (left > 0) this.activeByInstance.set(lane.instanceId, left);
    else this.activeByInstance.delete(lane.instanceId);
  }

  private async attempt({ row, attempts }: LaneMessage): Promise<Outcome> {
    const attempt = attempts + 1;
    if (attempt > this.options.maxAttempts) {
      // Earlier attempts never reported back (the process died during them).
      return { kind: 'failed', messageId: row.id, code: 'attempts_exhausted', reason: `Gave up after ${attempts} attempts that did not complete`, at: this.now() };
    }
    await this.starts.submit({ messageId: row.id, attempt, at: this.now() });
    try {
      if (!isMessageType(row.type)) throw new CodedError('internal_error', 'Stored message has an unknown type');
      const engine = await this.engines.forInstance(row.instance_id);
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
      return this.failure(row.id, attempt, err);
    }
  }

  private failure(messageId: string, attempt: number, err: unknown): Outcome {
    const at = this.now();
    if (this.stopped && err === this.aborter.signal.reason) {
      return { kind: 'retry', messageId, code: 'shutting_down', reason: 'Interrupted by a shutdown', at, runAt: at };
    }
    const coded = err instanceof CodedError
      ? err
      : new CodedError('internal_error', 'An unexpected error occurred while sending; it will be retried', true);
    if (!(err instanceof CodedError)) this.logger.error({ err, messageId }, 'unexpected error while sending');
    if (!coded.transient) return { kind: 'failed', messageId, code: coded.code, reason: coded.message, at };
    if (attempt >= this.options.maxAttempts) {
      return { kind: 'failed', messageId, code: coded.code, reason: `${coded.message} (gave up after ${attempt} attempts)`, at };
    }
    const runAt = at + retryDelayMs(attempt, this.options.retryBaseMs, this.options.retryMaxDelayMs);
    return { kind: 'retry', messageId, code: coded.code, reason: coded.message, at, runAt };
  }
}
