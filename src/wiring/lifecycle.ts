/**
 * The parts of a running gateway in one list: started in list order, stopped
 * in the reverse order (the HTTP server, added last, stops first; the store,
 * added first, closes last). A part whose start failed is not stopped; the
 * ones started before it are, so a failed start leaves nothing running.
 */
export interface Part {
  name: string;
  start?(): Promise<void> | void;
  stop?(): Promise<void> | void;
}

export class Lifecycle {
  private readonly parts: Part[] = [];
  private started: Part[] = [];

  add(part: Part): void {
    this.parts.push(part);
  }

  async start(): Promise<void> {
    for (const part of this.parts) {
      try {
        await part.start?.();
      } catch (err) {
        await this.stop();
        throw err;
      }
      this.started.push(part);
    }
  }

  /** Stops what was started, last first; every part is stopped even if one before it fails (the first error is thrown). */
  async stop(onError: (part: string, err: unknown) => void = () => undefined): Promise<void> {
    const parts = this.started.reverse();
    this.started = [];
    let first: unknown;
    for (const part of parts) {
      try {
        await part.stop?.();
      } catch (err) {
        onError(part.name, err);
        first ??= err;
      }
    }
    if (first !== undefined) throw first;
  }
}
