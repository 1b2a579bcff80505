/**
 * The media spool: where the file of a message waiting to be sent is kept,
 * from before its accept commit (durable first: a 200 means the file
 * survives too) until its message is sent or failed. On SQLite, files beside
 * the database (spool-files.ts); on PostgreSQL, rows in the database
 * (postgres/spool-rows.ts), since the node that sends a message may not be
 * the one that accepted it.
 */
import path from 'node:path';
import type { DatabaseConfig } from '../config.js';
import type { Store } from './database.js';
import { PostgresSpool } from './postgres/spool-rows.js';
import { FileSpool } from './spool-files.js';

export interface MediaSpool {
  /** Stores a message's file durably (before its message commits). */
  put(messageId: string, bytes: Uint8Array): Promise<void>;
  /** A message's file, or undefined when it has none. */
  read(messageId: string): Promise<Buffer | undefined>;
  /** Removes files; one already gone is not an error. */
  remove(messageIds: readonly string[]): Promise<void>;
  /** Removes files in the background (after their messages' commit); what fails is left to `sweep`. */
  discard(messageIds: readonly string[]): void;
  /** Removes the files of messages no longer waiting (or never stored); returns how many. Run at start. */
  sweep(): Promise<number>;
  close(): Promise<void>;
}

export const MediaSpool = {
  /**
   * `nodeId`: this node (PostgreSQL: its own leftovers are swept at its start whatever their age);
   * `dataDir`: where a PostgreSQL node kept files before they moved into the database.
   */
  open(store: Store, config: DatabaseConfig, nodeId = 'node-1', dataDir?: string): MediaSpool {
    return config.dialect === 'postgres'
      ? new PostgresSpool(store, nodeId, dataDir === undefined ? undefined : path.join(dataDir, 'media'))
      : FileSpool.open(store, config);
  },
};
