/**
 * The accept path's write: a message is acknowledged only once its batch is
 * committed, and the dispatcher is woken right after. A message whose
 * idempotency key another request already holds is not stored. A file is
 * written to the media spool first (off the event loop, on disk before the
 * commit), so commits carry rows only.
 */
import type { NewMessage } from '../domain/message.js';
import { BatchWriter } from '../util/batch-writer.js';
import type { MediaSpool } from '../store/media-spool.js';
import type { AcceptStatements } from '../store/messages.js';

export type AcceptOutcome = 'stored' | 'key_taken';

export interface AcceptStats {
  /** Messages waiting for their commit. */
  pending: number;
  /** The slowest commit that ended within the window asked for, in ms (0: none). */
  slowestCommitMs: number;
}

/** Recent commits kept for `stats` (a slow one is not hidden by the fast ones after it). */
const RECENT_COMMITS = 128;

export class Acceptor {
  private readonly writer: BatchWriter<NewMessage>;
  private readonly skipped = new Set<string>();
  /** Ring of the latest commits: when each ended (epoch ms) and how long it took. */
  private readonly commits: { at: number; ms: number }[] = [];
  private nextCommit = 0;

  constructor(
    statements: AcceptStatements,
    private readonly spool: MediaSpool,
    onCommitted: () => void,
    idempotencyTtlMs: number,
    private readonly now: () => number = Date.now,
    /** Accept commits in flight at once (see BatchWriter's `concurrency`). */
    concurrency = 1,
  ) {
    this.writer = new BatchWriter(
      async (batch) => {
        const started = performance.now();
        try {
          for (const id of await statements.insert(batch, idempotencyTtlMs)) this.skipped.add(id);
        } finally {
          this.commits[this.nextCommit] = { at: this.now(), ms: performance.now() - started };
          this.nextCommit = (this.nextCommit + 1) % RECENT_COMMITS;
        }
        onCommitted();
      },
      { concurrency },
    );
  }

  /** The file of a message that is not stored after all (its key taken, or the commit failed) is removed. */
  async accept(message: NewMessage): Promise<AcceptOutcome> {
    const media = message.media;
    const bytes = media?.bytes;
    if (media === undefined || bytes === undefined) {
      await this.writer.submit(message);
      return this.skipped.delete(message.id) ? 'key_taken' : 'stored';
    }
    let stored = false;
    try {
      await this.spool.put(message.id, bytes);
      await this.writer.submit({ ...message, media: { ...media, bytes: undefined } });
      stored = !this.skipped.delete(message.id);
    } finally {
      if (!stored) await this.spool.remove([message.id]);
    }
    return stored ? 'stored' : 'key_taken';
  }

  /** Commits waiting, and the slowest commit of the last `windowMs`. */
  stats(windowMs: number): AcceptStats {
    const since = this.now() - windowMs;
    let slowest = 0;
    for (const c of this.commits) if (c.at >= since && c.ms > slowest) slowest = c.ms;
    return { pending: this.writer.pending, slowestCommitMs: slowest };
  }

  drain(): Promise<void> {
    return this.writer.drain();
  }
}
