/**
 * Turns the inbox's due times into receipts. The schedule lives in rows
 * (deliver_due, read_due), so a restart resumes it. Receipts are applied
 * before the inbox row is marked, so a crash in between only repeats a
 * receipt, which forward-only status updates ignore.
 */
import type { ReceiptSink } from '../engine.js';
import type { SandboxInboxStatements } from '../../store/sandbox-inbox.js';

export class SandboxScheduler {
  private timer: NodeJS.Timeout | undefined;
  private running: Promise<void> | undefined;

  constructor(
    private readonly inbox: SandboxInboxStatements,
    private readonly sink: ReceiptSink,
    private readonly intervalMs = 200,
    private readonly now: () => number = Date.now,
    private readonly onError: (err: unknown) => void = () => {},
  ) {}

  start(): void {
    if (this.timer !== undefined) return;
    this.timer = setInterval(() => {
      if (this.running !== undefined) return;
      this.running = this.tick()
        .catch(this.onError)
        .finally(() => {
          this.running = undefined;
        });
    }, this.intervalMs);
  }

  async stop(): Promise<void> {
    if (this.timer !== undefined) clearInterval(this.timer);
    this.timer = undefined;
    await this.running;
  }

  /**
   * One pass: every due delivery, then every due read, in chunks that yield
   * to the event loop between them so a backlog never stalls requests.
   */
  async tick(chunk = 256): Promise<void> {
    const now = this.now();
    for (;;) {
      const due = await this.inbox.dueDeliveries(now, chunk);
      if (due.length > 0) {
        await this.sink.record(due.filter((d) => d.part === 0).map((d) => ({ messageId: d.message_id, status: 'delivered' as const, at: now })));
        await this.inbox.markDelivered(
          due.map((d) => d.id),
          now,
        );
      }
      const reads = await this.inbox.dueReads(now, chunk);
      if (reads.length > 0) {
        await this.sink.record(reads.filter((d) => d.part === 0).map((d) => ({ messageId: d.message_id, status: 'read' as const, at: now })));
        await this.inbox.markRead(
          reads.map((d) => d.id),
          now,
        );
      }
      if (due.length < chunk && reads.length < chunk) return;
      await new Promise((resolve) => setImmediate(resolve));
    }
  }
}
