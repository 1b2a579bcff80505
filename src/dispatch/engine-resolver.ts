/**
 * Finds the engine of an instance. An instance's engine never changes, so the
 * answer is cached (bounded; the least recently used goes when full) until the
 * instance is deleted: a deleted instance's queued messages then fail with
 * `instance_not_found` instead of going out through a remembered engine.
 */
import { LRUCache } from 'lru-cache';
import { CodedError } from '../domain/errors.js';
import type { Engine, EngineName } from '../engines/engine.js';
import { isEngineName } from '../engines/engine.js';
import type { Db } from '../store/database.js';
import { getInstance } from '../store/instances.js';

export class EngineResolver {
  private readonly byInstance: LRUCache<string, EngineName>;

  constructor(
    private readonly db: Db,
    private readonly engines: ReadonlyMap<EngineName, Engine>,
    capacity = 10_000,
  ) {
    this.byInstance = new LRUCache({ max: capacity });
  }

  /** Every engine this node runs. */
  all(): Engine[] {
    return [...this.engines.values()];
  }

  /** The instance was deleted: stop answering from the cache. */
  forget(instanceId: string): void {
    this.byInstance.delete(instanceId);
  }

  async forInstance(instanceId: string): Promise<Engine> {
    let name = this.byInstance.get(instanceId);
    if (name === undefined) {
      const row = await getInstance(this.db, instanceId);
      if (row === undefined) throw new CodedError('instance_not_found', 'The instance of this message no longer exists');
      if (!isEngineName(row.engine)) throw new CodedError('engine_unavailable', `Engine "${row.engine}" is not available in this build`);
      name = row.engine;
      this.byInstance.set(instanceId, name);
    }
    const engine = this.engines.get(name);
    if (engine === undefined) throw new CodedError('engine_unavailable', `Engine "${name}" is not running on this node`, true);
    return engine;
  }
}
