/**
 * The store port: what the layers above see of the database, whichever it
 * is. Statements are SQL text with `?` placeholders, run through `Sql` (the
 * hot paths: cheap to run, the same text on both databases where it can be)
 * or built with Kysely on `db` (the rest). Every write runs in `writeTx`.
 * The embedded default is SQLite (sqlite/open.ts); PostgreSQL is the other
 * (postgres/open.ts).
 */
import { sql, type Kysely } from 'kysely';
import type { RateLimiterAbstract } from 'rate-limiter-flexible';
import type { DatabaseConfig } from '../config.js';
import type { Database } from './schema.js';
import { openPostgresStore } from './postgres/open.js';
import { openSqliteStore } from './sqlite/open.js';

export type Db = Kysely<Database>;
export type Dialect = 'sqlite' | 'postgres';

/** What a statement's `?` placeholders take (an array only on PostgreSQL, e.g. for `unnest`). */
export type SqlValue = string | number | bigint | Buffer | null | readonly (string | number | null)[];

/** Runs statements (SQL text, `?` placeholders). */
export interface Sql {
  /** Runs a statement that returns no rows; resolves to how many rows it changed. */
  run(text: string, params?: readonly SqlValue[]): Promise<number>;
  all<R>(text: string, params?: readonly SqlValue[]): Promise<R[]>;
  get<R>(text: string, params?: readonly SqlValue[]): Promise<R | undefined>;
}

/** One write transaction, handed to the function `writeTx` runs. */
export interface Tx extends Sql {
  /** Queries in this transaction (on the connection it holds). */
  readonly db: Db;
  /** Runs `fn` once this transaction has committed; never if it rolls back. */
  afterCommit(fn: () => void): void;
}

/** Wake-ups between the nodes sharing a database (PostgreSQL; one node needs none). */
export interface Signals {
  /** Calls `fn` whenever a node (this one too) signals `channel`; resolves once listening. */
  listen(channel: string, fn: () => void): Promise<void>;
  /** Signals `channel` soon (signals close together may become one); never throws. */
  signal(channel: string): void;
}

/** A rate limit every node sharing the database counts together: `points` per key per `durationS`. */
export interface SharedLimitOptions {
  /** Names the limit (keys of different limits never mix). */
  keyPrefix: string;
  points: number;
  durationS: number;
}

export interface Store {
  readonly dialect: Dialect;
  /** Set on PostgreSQL, where several nodes may share the database. */
  readonly signals?: Signals;
  /** Set on PostgreSQL: a limiter whose counts live in the database (each node's own memory if it cannot be reached). */
  sharedLimiter?(options: SharedLimitOptions): RateLimiterAbstract;
  /** Queries outside a transaction. */
  readonly db: Db;
  /** Statements outside a transaction (reads). */
  readonly sql: Sql;
  /**
   * Runs `fn` in one write transaction. `fn` must not wait for anything but
   * its own statements, and never calls `writeTx` (that transaction would
   * wait for this one to end). `durable` commits are on disk before they
   * resolve (the accept path: a 200 promises the message survives power
   * loss); the others survive a crash of the process, and a power cut may
   * lose the last of them, which only repeats work (a resend under the same
   * provider id).
   */
  writeTx<T>(durable: boolean, fn: (tx: Tx) => Promise<T>): Promise<T>;
  /**
   * One statement, atomic on its own, committed durably: a write transaction
   * of one statement, which PostgreSQL runs in one round trip (no BEGIN and
   * COMMIT of its own). Resolves to the rows it changed.
   */
  writeOne(text: string, params?: readonly SqlValue[]): Promise<number>;
  close(): Promise<void>;
}

/** Resolves when the database answers a trivial query (readiness). */
export async function databaseAnswers(db: Db): Promise<void> {
  await sql`select 1`.execute(db);
}

export function openStore(config: DatabaseConfig): Store {
  return config.dialect === 'postgres' ? openPostgresStore(config) : openSqliteStore(config);
}

/** `?` n times, comma separated (an IN list). */
export function placeholders(n: number): string {
  return Array.from({ length: n }, () => '?').join(', ');
}
