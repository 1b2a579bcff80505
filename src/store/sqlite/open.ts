/**
 * The embedded store: SQLite in WAL mode with `synchronous = FULL`, so a
 * commit is on disk before we answer 200; group commit (batch-writer.ts)
 * amortises the fsync over many requests.
 *
 * SQLite has one connection, lent (dialect.ts) to one holder at a time, in
 * order: a `writeTx` holds it from `BEGIN` to `COMMIT`, across its awaits, so
 * no statement lands inside somebody else's transaction. Statements run
 * synchronously on better-sqlite3 (prepared once each); the promises they
 * return are already settled.
 */
import fs from 'node:fs';
import path from 'node:path';
import SQLite from 'better-sqlite3';
import { Kysely } from 'kysely';
import type { SqliteConfig } from '../../config.js';
import { FifoLock } from '../../util/fifo-lock.js';
import type { Sql, SqlValue, Store, Tx } from '../database.js';
import type { Database } from '../schema.js';
import { Checkpointer } from './checkpointer.js';
import { SqliteConnection, sqliteDialect } from './dialect.js';

/**
 * The database holds session keys and tokens' hashes: its folder is created
 * 0700 and the file 0600 before SQLite opens it (SQLite gives its -wal and
 * -shm files the database file's permissions); a file left readable by
 * others by an older version is narrowed.
 */
function ownerOnly(file: string): void {
  fs.mkdirSync(path.dirname(file), { recursive: true, mode: 0o700 });
  fs.closeSync(fs.openSync(file, 'a', 0o600));
  for (const f of [file, `${file}-wal`, `${file}-shm`]) {
    try {
      if ((fs.statSync(f).mode & 0o077) !== 0) fs.chmodSync(f, 0o600);
    } catch {
      // -wal and -shm exist only while a connection has the database open
    }
  }
}

/** Statements on the connection, for a holder of it. */
function statementsOn(connection: SqliteConnection): Sql {
  return {
    run: (text, params = []) => settle(() => connection.statement(text).run(...params).changes),
    all: <R>(text: string, params: readonly SqlValue[] = []) => settle(() => connection.statement(text).all(...params) as R[]),
    get: <R>(text: string, params: readonly SqlValue[] = []) => settle(() => connection.statement(text).get(...params) as R | undefined),
  };
}

function settle<T>(fn: () => T): Promise<T> {
  try {
    return Promise.resolve(fn());
  } catch (err) {
    return Promise.reject(err);
  }
}

export function openSqliteStore(config: SqliteConfig): Store {
  if (config.file !== ':memory:') ownerOnly(config.file);
  const sqlite = new SQLite(config.file);
  sqlite.pragma('journal_mode = WAL');
  sqlite.pragma('synchronous = FULL');
  sqlite.pragma('foreign_keys = ON');
  sqlite.pragma('busy_timeout = 5000');
  // 64 MiB of page cache: the hot B-tree pages of the queue tables stay in memory.
  sqlite.pragma('cache_size = -65536');
  const checkpointer = config.file === ':memory:' ? undefined : new Checkpointer(config.file);
  if (checkpointer !== undefined) sqlite.pragma('wal_autocheckpoint = 1000');
  const connection = new SqliteConnection(sqlite);
  const lock = new FifoLock();
  const db = new Kysely<Database>({ dialect: sqliteDialect(connection, lock) });
  /** Queries of the write transaction that holds the lock. */
  const held = new Kysely<Database>({ dialect: sqliteDialect(connection, undefined) });
  const statements = statementsOn(connection);
  let closed = false;

  /** Runs `fn` holding the lock: at once when it is free (a statement then runs before this returns), else in turn. */
  const locked = <T>(fn: () => Promise<T>): Promise<T> => {
    const run = async (): Promise<T> => {
      try {
        return await fn();
      } finally {
        lock.release();
      }
    };
    return lock.tryAcquire() ? run() : lock.acquire().then(run);
  };

  const inTransaction = async <T>(durable: boolean, fn: (tx: Tx) => Promise<T>): Promise<T> => {
    const hooks: (() => void)[] = [];
    connection.statement(durable ? 'PRAGMA synchronous = FULL' : 'PRAGMA synchronous = NORMAL').run();
    connection.statement('BEGIN IMMEDIATE').run();
    let result: T;
    try {
      result = await fn({ ...statements, db: held, afterCommit: (hook) => hooks.push(hook) });
      connection.statement('COMMIT').run();
    } catch (err) {
      if (sqlite.inTransaction) connection.statement('ROLLBACK').run();
      throw err;
    }
    for (const hook of hooks) hook();
    return result;
  };

  return {
    dialect: 'sqlite',
    db,
    sql: {
      run: (text, params) => locked(() => statements.run(text, params)),
      all: <R>(text: string, params?: readonly SqlValue[]) => locked(() => statements.all<R>(text, params)),
      get: <R>(text: string, params?: readonly SqlValue[]) => locked(() => statements.get<R>(text, params)),
    },
    writeTx: (durable, fn) => locked(() => inTransaction(durable, fn)),
    writeOne: (text, params) => locked(() => inTransaction(true, (tx) => tx.run(text, params))),
    close: async () => {
      if (closed) return;
      closed = true;
      await checkpointer?.stop();
      await held.destroy();
      await db.destroy();
      sqlite.close();
    },
  };
}
