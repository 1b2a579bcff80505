/**
 * The accept path's write: a message is acknowledged only once its batch is
 * committed, and the dispatcher is woken right after. A message whose
 * idempotency key another request already holds is not stored.
 */
import type { NewMessage } from '../domain/message.js';
import { BatchWriter } from '../store/batch-writer.js';
import { MEDIA_PART_BYTES, type AcceptStatements } from '../store/messages.js';

/** About what one accept commit may carry in inline media. */
const MAX_COMMIT_BYTES = 4 * 1024 * 1024;
/** Files larger than this are stored in parts ahead of the commit; smaller ones inline, in it (one write). */
const PARTS_ABOVE = 2 * MEDIA_PART_BYTES;

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

  constructor(private readonly statements: AcceptStatements, onCommitted: () => void, idempotencyTtlMs: number) {
    // Inline media is weighed by its bytes: a commit of many large files would hold the event loop.
    this.writer = new BatchWriter(async (batch) => {
      const started = performance.now();
      try {
        for (const id of await statements.insert(batch, idempotencyTtlMs)) this.skipped.add(id);
      } finally {
        this.lastCommitMs = performance.now() - started;
        this.lastCommitAt = Date.now();
      }
      onCommitted();
    }, { weigh: (m) => 512 + (m.media?.bytes?.length ?? 0), maxWeight: MAX_COMMIT_BYTES });
  }

  /**
   * A file larger than two parts is written in parts first (short transactions,
   * the event loop free in between), and the message commits without it
   * inline; parts of a message that is not stored after all are removed.
   */
  async accept(message: NewMessage): Promise<AcceptOutcome> {
    const bytes = message.media?.bytes;
    if (message.media === undefined || bytes === undefined || bytes.length <= PARTS_ABOVE) {
      await this.writer.submit(message);
      return this.skipped.delete(message.id) ? 'key_taken' : 'stored';
    }
    await this.statements.writeParts(message.id, bytes);
    let stored = false;
    try {
      await this.writer.submit({ ...message, media: { ...message.media, bytes: undefined } });
      stored = !this.skipped.delete(message.id);
    } finally {
      if (!stored) await this.statements.dropParts(message.id);
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
