/**
 * untilAborted: the deadline wins over work that ignores it (undici does while
 * it waits for DNS or a connection), and what arrives late is handed back for
 * release instead of being lost or resolved.
 */
import { describe, expect, it, vi } from 'vitest';
import { untilAborted } from '../../src/media/abortable.js';

const deferred = <T>() => {
  let resolve: (v: T) => void = () => {};
  let reject: (e: unknown) => void = () => {};
  const promise = new Promise<T>((res, rej) => {
    resolve = res;
    reject = rej;
  });
  return { promise, resolve, reject };
};

describe('untilAborted', () => {
  it('resolves with the work when it finishes first, and leaves no abort listener behind', async () => {
    const controller = new AbortController();
    const late: string[] = [];
    await expect(untilAborted(Promise.resolve('done'), controller.signal, (v) => late.push(v))).resolves.toBe('done');
    controller.abort(new Error('too late'));
    expect(late).toEqual([]);
  });

  it('rejects with the signal reason as soon as it aborts; a result that comes later goes to onLate', async () => {
    const controller = new AbortController();
    const work = deferred<string>();
    const late: string[] = [];
    const raced = untilAborted(work.promise, controller.signal, (v) => late.push(v));
    const reason = new Error('deadline');
    controller.abort(reason);
    await expect(raced).rejects.toBe(reason);
    work.resolve('socket');
    await new Promise((r) => setImmediate(r));
    expect(late).toEqual(['socket']);
  });

  it('an already aborted signal rejects at once', async () => {
    const controller = new AbortController();
    const reason = new Error('gone');
    controller.abort(reason);
    const late: number[] = [];
    await expect(untilAborted(Promise.resolve(1), controller.signal, (v) => late.push(v))).rejects.toBe(reason);
    await new Promise((r) => setImmediate(r));
    expect(late).toEqual([1]);
  });

  it('a failure of the work is passed on as it is', async () => {
    const failure = new Error('ECONNREFUSED');
    await expect(untilAborted(Promise.reject(failure), new AbortController().signal, () => {})).rejects.toBe(failure);
  });

  it('listens once, and stops listening when the work settles', async () => {
    const signal = new AbortController().signal;
    const add = vi.spyOn(signal, 'addEventListener');
    const remove = vi.spyOn(signal, 'removeEventListener');
    await untilAborted(Promise.resolve('x'), signal, () => {});
    await untilAborted(Promise.reject(new Error('y')), signal, () => {}).catch(() => undefined);
    expect(add.mock.calls.map((c) => [c[0], c[2]])).toEqual([
      ['abort', { once: true }],
      ['abort', { once: true }],
    ]);
    expect(remove.mock.calls.map((c) => [c[0], c[1]])).toEqual(add.mock.calls.map((c) => [c[0], c[1]]));
  });
});
