/**
 * The accept path's write: a message is acknowledged only once its batch is
 * committed, and the dispatcher is woken right after.
 */
import type { NewMessage } from '../domain/message.js';
import { BatchWriter } from '../store/batch-writer.js';
import type { AcceptStatements } from '../store/messages.js';

export class Acceptor {
  private readonly writer: BatchWriter<NewMessage>;

  constructor(statements: AcceptStatements, onCommitted: () => void) {
    this.writer = new BatchWriter(async (batch) => {
      await statements.insert(batch);
      onCommitted();
    });
  }

  accept(message: NewMessage): Promise<void> {
    return this.writer.submit(message);
  }

  drain(): Promise<void> {
    return this.writer.drain();
  }
}
