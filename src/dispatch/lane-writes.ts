/**
 * The writes a lane makes while it is worked, batched: an attempt counted
 * before each send (committed in the next turn: one yield per message for a
 * long lane), and each send's outcome with the lane given back after the
 * last one (in this turn, outcome and release in one commit).
 *
 * Fenced: each write carries the lease epoch its lane was worked under, and
 * a write whose instance has changed hands since (another node holds it, or
 * this one took it back under a new epoch) is dropped in the same
 * transaction that would have made it. The new owner has the instance.
 */
import type { LaneRelease, OutboxStatements } from '../store/outbox.js';
import type { AttemptStart, Outcome, OutcomeStatements } from '../store/outcomes.js';
import { BatchWriter } from '../util/batch-writer.js';

/** What a lane's send came to, and the lane given back with its last one. */
export interface Completion {
  instanceId: string;
  /** The lease epoch the lane was worked under. */
  epoch: number;
  outcome?: Outcome;
  release?: LaneRelease;
}

/** An attempt about to be made, counted first. */
export type Start = AttemptStart & { instanceId: string; epoch: number };

export class LaneWrites {
  private readonly starts: BatchWriter<Start>;
  private readonly completions: BatchWriter<Completion>;

  constructor(outbox: OutboxStatements, results: OutcomeStatements) {
    this.starts = new BatchWriter((all) =>
      outbox.transaction(async (tx) => {
        const owned = await outbox.confirmedInTx(
          tx,
          all.map((s) => s.instanceId),
        );
        await results.beginInTx(
          tx,
          all.filter((s) => owned(s.instanceId, s.epoch)),
        );
      }),
    );
    // outbox and results share one store: outcomes, then the lanes they free, in one transaction.
    this.completions = new BatchWriter(
      (all) =>
        outbox.transaction(async (tx) => {
          const owned = await outbox.confirmedInTx(
            tx,
            all.map((c) => c.instanceId),
          );
          const items = all.filter((c) => owned(c.instanceId, c.epoch));
          await results.recordInTx(
            tx,
            items.flatMap((c) => (c.outcome === undefined ? [] : [c.outcome])),
          );
          await outbox.releaseInTx(
            tx,
            items.flatMap((c) => (c.release === undefined ? [] : [c.release])),
          );
        }),
      { thisTurn: true },
    );
  }

  /** Counts an attempt; resolves once committed (or dropped). */
  start(start: Start): Promise<void> {
    return this.starts.submit(start);
  }

  /** Records a send's outcome and/or gives the lane back; resolves once committed (or dropped). */
  complete(completion: Completion): Promise<void> {
    return this.completions.submit(completion);
  }

  async drain(): Promise<void> {
    await this.starts.drain();
    await this.completions.drain();
  }
}
