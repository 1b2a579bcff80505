/** The FIFO lock: one holder, waiters served in arrival order, one release wakes one waiter. */
import { expect, it } from 'vitest';
import { FifoLock } from '../../src/util/fifo-lock.js';

it('serves waiters one at a time in arrival order; tryAcquire only when free', async () => {
  const lock = new FifoLock();
  const order: number[] = [];
  expect(lock.tryAcquire()).toBe(true);
  expect(lock.tryAcquire()).toBe(false);
  const waiters = [1, 2, 3].map((n) => lock.acquire().then(() => order.push(n)));
  await Promise.resolve();
  expect(order).toEqual([]);
  lock.release();
  await new Promise((r) => setTimeout(r, 0));
  expect(order).toEqual([1]);
  lock.release();
  lock.release();
  await Promise.all(waiters);
  expect(order).toEqual([1, 2, 3]);
  lock.release();
  expect(lock.tryAcquire()).toBe(true);
});
