/** How many instances are in each connection state, per engine (for metrics). */
import type { Store } from './database.js';

export interface InstanceStateCount {
  engine: string;
  state: string;
  count: number;
}

export class InstanceStateStatements {
  constructor(private readonly store: Store) {}

  all(): Promise<InstanceStateCount[]> {
    return this.store.sql.all<InstanceStateCount>(`SELECT engine, state, count(*) AS count FROM instances GROUP BY engine, state`);
  }
}
