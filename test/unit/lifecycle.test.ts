import { describe, expect, it } from 'vitest';
import { Lifecycle } from '../../src/wiring/lifecycle.js';

describe('lifecycle', () => {
  it('starts in list order and stops in reverse', async () => {
    const seen: string[] = [];
    const life = new Lifecycle();
    for (const name of ['store', 'dispatcher', 'http']) {
      life.add({ name, start: () => void seen.push(`start ${name}`), stop: () => void seen.push(`stop ${name}`) });
    }
    await life.start();
    await life.stop();
    expect(seen).toEqual(['start store', 'start dispatcher', 'start http', 'stop http', 'stop dispatcher', 'stop store']);
  });

  it('a failed start stops what had started, and only that', async () => {
    const seen: string[] = [];
    const life = new Lifecycle();
    life.add({ name: 'store', stop: () => void seen.push('stop store') });
    life.add({
      name: 'engines',
      start: () => {
        throw new Error('no engine');
      },
      stop: () => void seen.push('stop engines'),
    });
    life.add({ name: 'http', stop: () => void seen.push('stop http') });
    await expect(life.start()).rejects.toThrow('no engine');
    expect(seen).toEqual(['stop store']);
  });

  it('a part that fails to stop does not keep the others running', async () => {
    const seen: string[] = [];
    const errors: string[] = [];
    const life = new Lifecycle();
    life.add({ name: 'store', stop: () => void seen.push('stop store') });
    life.add({
      name: 'dispatcher',
      stop: () => {
        throw new Error('stuck');
      },
    });
    await life.start();
    await expect(life.stop((part) => errors.push(part))).rejects.toThrow('stuck');
    expect(seen).toEqual(['stop store']);
    expect(errors).toEqual(['dispatcher']);
  });
});
