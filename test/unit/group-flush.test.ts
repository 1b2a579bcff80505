/** Group flushes: each caller waits for a run that started after its call; callers during a run share the next one. */
import { expect, it } from 'vitest';
import { GroupFlush } from '../../src/util/group-flush.js';

it('callers during a run share one next run, which starts only after the current one ends; a failed run fails its callers only', async () => {
  const log: string[] = [];
  let runs = 0;
  const gates: (() => void)[] = [];
  const task = new GroupFlush(async () => {
    const n = ++runs;
    log.push(`start ${n}`);
    await new Promise<void>((resolve) => gates.push(resolve));
    log.push(`end ${n}`);
    if (n === 2) throw new Error('run 2 failed');
  });
  const first = task.run().then(() => log.push('first done'));
  const second = task.run().then(
    () => log.push('second done'),
    (e: Error) => log.push(`second: ${e.message}`),
  );
  const third = task.run().then(
    () => log.push('third done'),
    (e: Error) => log.push(`third: ${e.message}`),
  );
  await Promise.resolve();
  expect(runs).toBe(1);
  gates.shift()?.();
  await first;
  await new Promise((r) => setTimeout(r, 0));
  expect(runs).toBe(2);
  gates.shift()?.();
  await Promise.all([second, third]);
  const fourth = task.run().then(() => log.push('fourth done'));
  await new Promise((r) => setTimeout(r, 0));
  gates.shift()?.();
  await fourth;
  expect(log).toEqual(['start 1', 'end 1', 'first done', 'start 2', 'end 2', 'second: run 2 failed', 'third: run 2 failed', 'start 3', 'end 3', 'fourth done']);
});
