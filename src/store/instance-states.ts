/** How many instances are in each connection state, per engine (for metrics). */
import type { Store } from './database.js';

export interface InstanceStateCount {
  engine: string;
  state: string;
  count: number;
}

export class InstanceStateStatements {
  private readonly counts;

  constructor(store: Store) {
    this.counts = store.sqlite.prepare<[], InstanceStateCount>(
      `SELECT engine, state, count(*) AS count FROM instances GROUP BY engine, state`,
    );
  }

  all(): InstanceStateCount[] {
    return this.counts.all();
  }
}
