/**
 * Kysely on better-sqlite3, for SQLite's single connection: lent to one
 * holder at a time, in the order they asked (Kysely's own SQLite driver wakes
 * every waiter on each release, which makes a queue of transactions cost
 * quadratic time), and each statement prepared once (SQLite's compile is most
 * of a small query's cost).
 */
import type SQLite from 'better-sqlite3';
import {
  CompiledQuery,
  SqliteAdapter,
  SqliteIntrospector,
  SqliteQueryCompiler,
  type DatabaseConnection,
  type Dialect,
  type Driver,
  type Kysely,
  type QueryResult,
} from 'kysely';
import { LRUCache } from 'lru-cache';
import type { FifoLock } from '../../util/fifo-lock.js';

export class SqliteConnection implements DatabaseConnection {
  private readonly statements = new LRUCache<string, SQLite.Statement<unknown[]>>({ max: 500 });

  constructor(private readonly sqlite: SQLite.Database) {}

  /** The statement of this text, prepared once. */
  statement(query: string): SQLite.Statement<unknown[]> {
    let statement = this.statements.get(query);
    if (statement === undefined) {
      statement = this.sqlite.prepare<unknown[]>(query);
      this.statements.set(query, statement);
    }
    return statement;
  }

  executeQuery<R>(query: CompiledQuery): Promise<QueryResult<R>> {
    try {
      const statement = this.statement(query.sql);
      if (statement.reader) return Promise.resolve({ rows: statement.all(...query.parameters) as R[] });
      const { changes, lastInsertRowid } = statement.run(...query.parameters);
      return Promise.resolve({ numAffectedRows: BigInt(changes), insertId: BigInt(lastInsertRowid), rows: [] });
    } catch (err) {
      return Promise.reject(err);
    }
  }

  streamQuery<R>(): AsyncIterableIterator<QueryResult<R>> {
    throw new Error('Streaming queries are not supported on SQLite here');
  }
}

class SingleConnectionDriver implements Driver {
  constructor(
    private readonly connection: SqliteConnection,
    /** Undefined: the caller already holds the connection (the Kysely of a running transaction). */
    private readonly lock: FifoLock | undefined,
  ) {}

  async init(): Promise<void> {}

  async acquireConnection(): Promise<DatabaseConnection> {
    await this.lock?.acquire();
    return this.connection;
  }

  async beginTransaction(connection: DatabaseConnection): Promise<void> {
    await connection.executeQuery(CompiledQuery.raw('begin'));
  }

  async commitTransaction(connection: DatabaseConnection): Promise<void> {
    await connection.executeQuery(CompiledQuery.raw('commit'));
  }

  async rollbackTransaction(connection: DatabaseConnection): Promise<void> {
    await connection.executeQuery(CompiledQuery.raw('rollback'));
  }

  async releaseConnection(): Promise<void> {
    this.lock?.release();
  }

  // The store closes the database itself (sqlite/open.ts): Kysely destroys only a driver it has used.
  async destroy(): Promise<void> {}
}

/**
 * The dialect of Kysely instances on one connection. With `lock`, each query
 * (or Kysely transaction) takes it; without, the instance is for code that
 * holds it already (a write transaction's `tx.db`).
 */
export function sqliteDialect(connection: SqliteConnection, lock: FifoLock | undefined): Dialect {
  return {
    createAdapter: () => new SqliteAdapter(),
    createDriver: () => new SingleConnectionDriver(connection, lock),
    createIntrospector: (db: Kysely<unknown>) => new SqliteIntrospector(db),
    createQueryCompiler: () => new SqliteQueryCompiler(),
  };
}
