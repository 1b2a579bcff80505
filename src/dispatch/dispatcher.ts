/**
 * The outbox loop. It claims due, head-of-line messages (so each recipient
 * gets its messages in acceptance order), prepares their media, hands them to
 * the instance's engine and records the outcome. All state lives in rows: a
 * crash leaves claimed rows locked by this node, and the next start releases
 * them, so every accepted message is sent after a restart.
 */
import type { Logger } from 'pino';
import { CodedError } from '../domain/errors.js';
import type { OutgoingMessage } from '../engines/engine.js';
import { isMessageType } from '../domain/message.js';
import { BatchWriter } from '../store/batch-writer.js';
import type { ClaimedMessage, Outcome, OutboxStatements } from '../store/outbox.js';
import { retryDelayMs } from './backoff.js';
import type { EngineResolver } from './engine-resolver.js';
import type { MediaPreparer } from './media-preparer.js';

export interface DispatcherOptions {
  nodeId: string;
  retryBaseMs: number;
  retryMaxDelayMs: number;
  maxAttempts: number;
  pollIntervalMs: number;
  batchSize: number;
  maxInFlight: number;
}

export class Dispatcher {
  private readonly inFlight = new Set<Promise<void>>();
  private readonly outcomes: BatchWriter<Outcome>;
  private pumping = false;
  private again = false;
  private wakeScheduled = false;
  private stopped = true;
  private poll: NodeJS.Timeout | undefined;

  constructor(
    private readonly outbox: OutboxStatements,
    private readonly engines: EngineResolver,
    private readonly media: MediaPreparer,
    private readonly options: DispatcherOptions,
    private readonly logger: Logger,
    private readonly now: () => number = Date.now,
  ) {
    this.outcomes = new BatchWriter((items) => this.outbox.record(items));
  }

  async start(): Promise<void> {
    const released = await this.outbox.releaseLocks(this.options.nodeId);
    if (released > 0) this.logger.info({ released }, 'resuming messages claimed before the last stop');
    this.stopped = false;
    this.poll = setInterval(() => this.wake(), this.options.pollIntervalMs);
    this.wake();
  }

  /** Stops claiming, then waits for messages in flight to finish and be recorded. */
  async stop(): Promise<void> {
    this.stopped = true;
    if (this.poll !== undefined) clearInterval(this.poll);
    while (this.inFlight.size > 0 || this.pumping) {
      await Promise.allSettled([...this.inFlight]);
      await new Promise((r) => setImmediate(r));
    }
    await this.outcomes.drain();
  }

  /** Something may be due: new messages were accepted, or a recipient's line moved. */
  wake(): void {
    if (this.stopped || this.wakeScheduled) return;
    this.wakeScheduled = true;
    setImmediate(() => {
      this.wakeScheduled = false;
      void this.pump();
    });
  }

  private async pump(): Promise<void> {
    if (this.pumping) {
      this.again = true;
      return;
    }
    this.pumping = true;
    try {
      do {
        this.again = false;
        const room = Math.min(this.options.batchSize, this.options.maxInFlight - this.inFlight.size);
        if (room <= 0 || this.stopped) break;
        const claimed = await this.outbox.claim(this.options.nodeId, this.now(), room);
        for (const c of claimed) this.track(this.process(c));
        if (claimed.length === room) this.again = true;
      } while (this.again && !this.stopped);
    } catch (err) {
      this.logger.error({ err }, 'dispatcher could not claim messages; will retry on the next poll');
    } finally {
      this.pumping = false;
    }
  }

  private track(p: Promise<void>): void {
    this.inFlight.add(p);
    void p.finally(() => {
      this.inFlight.delete(p);
      this.wake();
    });
  }

  private async process({ row, attempt }: ClaimedMessage): Promise<void> {
    let outcome: Outcome;
    try {
      if (!isMessageType(row.type)) throw new CodedError('internal_error', 'Stored message has an unknown type');
      const engine = await this.engines.forInstance(row.instance_id);
      const media = await this.media.prepare(row);
      const message: OutgoingMessage = {
        messageId: row.id,
        instanceId: row.instance_id,
        type: row.type,
        recipient: row.recipient,
        text: row.text ?? undefined,
        media,
        attempt,
      };
      const result = await engine.send(message);
      outcome = { kind: 'sent', messageId: row.id, providerId: result.providerId, at: this.now() };
    } catch (err) {
      outcome = this.failureOutcome(row.id, attempt, err);
    }
    try {
      await this.outcomes.submit(outcome);
    } catch (err) {
      // The row stays locked; the next start (or lease expiry) retries it.
      this.logger.error({ err, messageId: row.id }, 'could not record the outcome of a message');
    }
  }

  private failureOutcome(messageId: string, attempt: number, err: unknown): Outcome {
    const at = this.now();
    const coded = err instanceof CodedError
      ? err
      : new CodedError('internal_error', 'An unexpected error occurred while sending; it will be retried', true);
    if (!(err instanceof CodedError)) this.logger.error({ err, messageId }, 'unexpected error while sending');
    if (!coded.transient) return { kind: 'failed', messageId, code: coded.code, reason: coded.message, at };
    if (attempt >= this.options.maxAttempts) {
      return { kind: 'failed', messageId, code: coded.code, reason: `${coded.message} (gave up after ${attempt} attempts)`, at };
    }
    const delay = retryDelayMs(attempt, this.options.retryBaseMs, this.options.retryMaxDelayMs);
    return { kind: 'retry', messageId, runAt: at + delay, code: coded.code, reason: coded.message, at };
  }
}
