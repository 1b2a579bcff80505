/**
 * The store on PostgreSQL (node-postgres, a bounded pool). A write
 * transaction holds one pooled connection from `BEGIN` to `COMMIT`; one that
 * is not durable commits with `synchronous_commit = off` (it survives a crash
 * of the process; a crash of the database server may lose its last few
 * hundred milliseconds, which only repeats work). Statements written with `?`
 * placeholders are numbered (`$1`…) once per text. 64-bit integers (counts,
 * sums, times in milliseconds) are read as numbers: none of ours passes 2^53.
 */
import { CompiledQuery, Kysely, PostgresDialect } from 'kysely';
import { createHash } from 'node:crypto';
import pg from 'pg';
import { LRUCache } from 'lru-cache';
import type { PostgresConfig } from '../../config.js';
import type { Sql, SqlValue, Store } from '../database.js';
import type { Database } from '../schema.js';
import { postgresSignals } from './signals.js';
import { RateLimiterMemory, RateLimiterPostgres } from 'rate-limiter-flexible';

const INT8 = 20;
const NUMERIC = 1700;

function numbered(cache: LRUCache<string, string>, text: string): string {
  let out = cache.get(text);
  if (out === undefined) {
    let n = 0;
    out = text.replace(/\?/g, () => `$${++n}`);
    cache.set(text, out);
  }
  return out;
}

/**
 * Statements on the pool, each prepared once per connection under a name
 * (the server parses and plans it once, not on every run).
 */
function pooledStatements(pool: pg.Pool, cache: LRUCache<string, string>, names: LRUCache<string, string>): Sql {
  const query = (text: string, params: readonly SqlValue[] = []) => {
    let name = names.get(text);
    if (name === undefined) {
      name = `cx_${createHash('sha256').update(text).digest('hex').slice(0, 24)}`;
      names.set(text, name);
    }
    return pool.query({ name, text: numbered(cache, text), values: [...params] });
  };
  return {
    run: async (text, params) => (await query(text, params)).rowCount ?? 0,
    all: async <R>(text: string, params?: readonly SqlValue[]) => (await query(text, params)).rows as R[],
    get: async <R>(text: string, params?: readonly SqlValue[]) => (await query(text, params)).rows[0] as R | undefined,
  };
}

/** Statements through `on` (one transaction's connection). */
function statementsOn(on: Kysely<Database>, cache: LRUCache<string, string>): Sql {
  const query = <R>(text: string, params: readonly SqlValue[] = []) => on.executeQuery<R>(CompiledQuery.raw(numbered(cache, text), [...params]));
  return {
    run: async (text, params) => Number((await query(text, params)).numAffectedRows ?? 0n),
    all: async <R>(text: string, params?: readonly SqlValue[]) => (await query<R>(text, params)).rows,
    get: async <R>(text: string, params?: readonly SqlValue[]) => (await query<R>(text, params)).rows[0],
  };
}

export function openPostgresStore(config: PostgresConfig): Store {
  const pool = new pg.Pool({
    connectionString: config.url,
    max: config.poolMax,
    application_name: 'connexa',
    // Durable unless a transaction says otherwise, whatever the server's or database's default.
    options: '-c synchronous_commit=on',
    // As SQLite's busy timeout: a statement that waits this long for a lock fails (a 5xx, never a hang).
    lock_timeout: 5_000,
    // A transaction left open by a stuck (or paused) node does not hold its locks for long (see PostgresConfig).
    idle_in_transaction_session_timeout: config.idleTransactionMs ?? 60_000,
    types: {
      getTypeParser: ((oid: number, format?: 'text' | 'binary') =>
        oid === INT8 || oid === NUMERIC ? (v: string) => Number(v) : pg.types.getTypeParser(oid, format ?? 'text')) as typeof pg.types.getTypeParser,
    },
  });
  // An idle connection the server dropped: the pool replaces it; the next statement on it would fail visibly.
  pool.on('error', () => undefined);
  // The same for a connection in use (the server ended a transaction left idle by a paused node): the statement
  // waiting on it fails, and the process lives on, rather than dying of an unhandled 'error' event.
  pool.on('connect', (client) => client.on('error', () => undefined));
  const db = new Kysely<Database>({ dialect: new PostgresDialect({ pool }) });
  const cache = new LRUCache<string, string>({ max: 1000 });
  let closed = false;

  const pooled = pooledStatements(pool, cache, new LRUCache<string, string>({ max: 1000 }));
  const signals = postgresSignals(config.url, (channel) => pooled.run('SELECT pg_notify(?, NULL)', [channel]));
  return {
    dialect: 'postgres',
    db,
    sql: pooled,
    signals,
    sharedLimiter: ({ keyPrefix, points, durationS }) =>
      new RateLimiterPostgres({
        storeClient: pool,
        storeType: 'pool',
        tableName: 'rate_limits',
        tableCreated: true,
        keyPrefix,
        points,
        duration: durationS,
        // The database unreachable: each node counts alone until it is back.
        insuranceLimiter: new RateLimiterMemory({ keyPrefix, points, duration: durationS }),
      }),
    // Autocommit, durable (the connections' synchronous_commit is on).
    writeOne: (text, params) => pooled.run(text, params),
    writeTx: (durable, fn) =>
      db.connection().execute(async (conn) => {
        const hooks: (() => void)[] = [];
        await conn.executeQuery(CompiledQuery.raw(durable ? 'BEGIN' : 'BEGIN; SET LOCAL synchronous_commit = off'));
        let result;
        try {
          result = await fn({ ...statementsOn(conn, cache), db: conn, afterCommit: (hook) => hooks.push(hook) });
          await conn.executeQuery(CompiledQuery.raw('COMMIT'));
        } catch (err) {
          await conn.executeQuery(CompiledQuery.raw('ROLLBACK')).catch(() => undefined);
          throw err;
        }
        for (const hook of hooks) hook();
        return result;
      }),
    close: async () => {
      if (closed) return;
      closed = true;
      await signals.close();
      await db.destroy();
    },
  };
}
