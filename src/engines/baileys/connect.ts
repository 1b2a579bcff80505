/**
 * Builds real Baileys sockets. No in-memory store and no full history sync
 * (both grow without bound per socket); not shown online, so the phone keeps
 * getting notifications; QR codes rendered by us, not printed by Baileys.
 */
import NodeCache from '@cacheable/node-cache';
import { Browsers, makeCacheableSignalKeyStore, makeWASocket, type CacheStore, type proto } from 'baileys';
import type { Logger } from 'pino';
import type { SocketFactory } from './socket-port.js';

export interface ConnectorOptions {
  logger: Logger;
  /** A message the instance sent, by its WhatsApp id, for the chat that asks for it again. */
  getMessage: (instanceId: string, id: string, askingJid: string | undefined) => Promise<proto.IMessage | undefined>;
  /** The WhatsApp Web version a new socket presents; unset or undefined: the one bundled with Baileys. */
  version?: () => [number, number, number] | undefined;
  /** Tests point sockets at a local WebSocket server instead of WhatsApp. */
  waWebSocketUrl?: string;
  connectTimeoutMs?: number;
}

export function baileysConnector(o: ConnectorOptions): SocketFactory {
  // Baileys logs every frame at debug; only its warnings are worth keeping
  // (and never more than the parent logger lets through).
  const warn = o.logger.levels.values['warn'] ?? 40;
  const logger = o.logger.child({ component: 'baileys' }, { level: o.logger.levelVal > warn ? o.logger.level : 'warn' });
  // How often each message was asked for again, per instance, kept across reconnects: a socket
  // making its own would start every count over, and a recipient could have a message resent
  // without end. Entries live an hour, as in Baileys.
  const retryCounters = new Map<string, CacheStore>();
  const retryCounterOf = (instanceId: string): CacheStore => {
    let cache = retryCounters.get(instanceId);
    if (cache === undefined) {
      cache = counterStore();
      retryCounters.set(instanceId, cache);
    }
    return cache;
  };
  return (auth, instanceId) => {
    const version = o.version?.();
    return makeWASocket({
      msgRetryCounterCache: retryCounterOf(instanceId),
      auth: { creds: auth.creds, keys: makeCacheableSignalKeyStore(auth.keys, logger) },
      logger,
      // A browser WhatsApp knows: a custom name is sent as OTHER_WEB_CLIENT ("Connexa (Ubuntu)"),
      // which WhatsApp refuses for pairing codes.
      browser: Browsers.ubuntu('Chrome'),
      markOnlineOnConnect: false,
      syncFullHistory: false,
      // No history at all: after linking, Baileys would otherwise download the recent chats and
      // hold every event (receipts included) up to 20 s waiting for them.
      shouldSyncHistoryMessage: () => false,
      // Our own sends are not echoed as `append` upserts: such an echo holds Baileys' event buffer
      // open ~100 ms, and a status update for the same message in that window (a fast 463 ack, a
      // fast delivery receipt) is merged into the echo and never emitted on its own.
      emitOwnEvents: false,
      // Undefined (never an empty message) when we no longer have it.
      getMessage: async (key) => (typeof key.id === 'string' ? o.getMessage(instanceId, key.id, key.remoteJid ?? undefined) : undefined),
      ...(version !== undefined ? { version } : {}),
      ...(o.waWebSocketUrl !== undefined ? { waWebSocketUrl: o.waWebSocketUrl } : {}),
      ...(o.connectTimeoutMs !== undefined ? { connectTimeoutMs: o.connectTimeoutMs } : {}),
    });
  };
}

/** Baileys' cache interface over node-cache (what Baileys itself uses): what it stores is what it reads back. */
function counterStore(): CacheStore {
  const cache = new NodeCache<unknown>({ stdTTL: 3_600, useClones: false });
  return {
    get: <T>(key: string) => cache.get(key) as T | undefined,
    set: (key, value) => cache.set(key, value),
    del: (key) => cache.del(key),
    flushAll: () => cache.flushAll(),
  };
}
