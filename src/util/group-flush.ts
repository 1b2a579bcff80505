/**
 * Runs a task (a flush) so that every caller waits for a run that started after its
 * call, and callers arriving while one runs share the next: group commit for
 * an idempotent flush (a folder's fsync serving every file written before it).
 */
export class GroupFlush {
  private running: Promise<void> | undefined;
  private next: Promise<void> | undefined;

  constructor(private readonly task: () => Promise<void>) {}

  run(): Promise<void> {
    const running = this.running;
    if (running === undefined) return this.start();
    this.next ??= running
      .catch(() => undefined)
      .then(() => {
        this.next = undefined;
        return this.start();
      });
    return this.next;
  }

  private start(): Promise<void> {
    const run: Promise<void> = this.task().finally(() => {
      if (this.running === run) this.running = undefined;
    });
    this.running = run;
    return run;
  }
}
