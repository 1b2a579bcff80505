import { describe, expect, it } from 'vitest';
import { Coalescer } from '../../src/util/coalescer.js';

describe('coalescing runner', () => {
  it('never runs two passes at once; calls during a pass ask for exactly one more', async () => {
    let running = 0;
    let maxRunning = 0;
    let passes = 0;
    const c = new Coalescer(
      async () => {
        running++;
        maxRunning = Math.max(maxRunning, running);
        passes++;
        await new Promise((r) => setTimeout(r, 10));
        running--;
        return false;
      },
      () => {},
    );
    await Promise.all([c.run(), c.run(), c.run(), c.run()]);
    await new Promise((r) => setTimeout(r, 50));
    expect(maxRunning).toBe(1);
    expect(passes).toBe(2);
  });

  it('a pass that returns true goes again; errors are reported and end the run', async () => {
    let passes = 0;
    const errors: unknown[] = [];
    await new Coalescer(
      async () => ++passes < 3,
      () => {},
    ).run();
    expect(passes).toBe(3);
    await new Coalescer(
      async () => {
        throw new Error('db down');
      },
      (e) => errors.push(e),
    ).run();
    expect(errors).toHaveLength(1);
  });
});
