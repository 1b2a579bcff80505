/**
 * The accept path's write: a message is acknowledged only once its batch is
 * committed, and the dispatcher is woken right after. A message whose
 * idempotency key another request already holds is not stored. A file is
 * written to the media spool first (off the event loop, on disk before the
 * commit), so commits carry rows only.
 */
import type { NewMessage } from '../domain/message.js';
import { BatchWriter } from '../store/batch-writer.js';
import type { MediaSpool } from '../store/media-spool.js';
import type { AcceptStatements } from '../store/messages.js';

export type AcceptOutcome = 'stored' | 'key_taken';

export interface AcceptStats {
  /** Messages waiting for their commit. */
  pending: number;
  /** How long the latest commit took, in ms, and when it ended (epoch ms). */
  lastCommitMs: number;
  lastCommitAt: number;
}

export class Acceptor {
  private readonly writer: BatchWriter<NewMessage>;
  private readonly skipped = new Set<string>();
  private lastCommitMs = 0;
  private lastCommitAt = 0;

  constructor(statements: AcceptStatements, private readonly spool: MediaSpool, onCommitted: () => void, idempotencyTtlMs: number) {
    this.writer = new BatchWriter(async (batch) => {
      const started = performance.now();
      try {
        for (const id of await statements.insert(batch, idempotencyTtlMs)) this.skipped.add(id);
      } finally {
        this.lastCommitMs = performance.now() - started;
        this.lastCommitAt = Date.now();
      }
      onCommitted();
    });
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

  stats(): AcceptStats {
    return { pending: this.writer.pending, lastCommitMs: this.lastCommitMs, lastCommitAt: this.lastCommitAt };
  }

  drain(): Promise<void> {
    return this.writer.drain();
  }
}
