/**
 * Runs a pass of work one at a time: a call while a pass runs asks for exactly
 * one more pass afterwards instead of a second concurrent one. A pass that
 * returns true (it filled its batch, so more is likely waiting) goes again too.
 * Used by the loops that claim work from the database.
 */
export class Coalescer {
  private running = false;
  private again = false;

  constructor(
    private readonly pass: () => Promise<boolean>,
    private readonly onError: (err: unknown) => void,
    private readonly shouldStop: () => boolean = () => false,
  ) {}

  get busy(): boolean {
    return this.running;
  }

  async run(): Promise<void> {
    if (this.running) {
      this.again = true;
      return;
    }
    this.running = true;
    try {
      do {
        this.again = false;
        if (await this.pass()) this.again = true;
      } while (this.again && !this.shouldStop());
    } catch (err) {
      this.onError(err);
    } finally {
      this.running = false;
    }
  }
}
