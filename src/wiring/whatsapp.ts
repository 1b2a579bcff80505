/** The WhatsApp Web engine: its statements, the sessions of linked numbers, and the engine the dispatcher sends through. */
import { proto } from 'baileys';
import type { Logger } from 'pino';
import type { Config } from '../config.js';
import type { Ownership } from '../domain/ownership.js';
import type { Sealer } from '../crypto/sealer.js';
import { AuthStore } from '../engines/baileys/auth-store.js';
import { baileysConnector } from '../engines/baileys/connect.js';
import { BaileysEngine } from '../engines/baileys/engine.js';
import { RecipientResolver } from '../engines/baileys/recipient-resolver.js';
import { WhatsAppSessions } from '../engines/baileys/sessions.js';
import type { SocketFactory } from '../engines/baileys/socket-port.js';
import { WhatsAppVersion } from '../engines/baileys/wa-version.js';
import type { ReceiptSink } from '../engines/engine.js';
import type { Store } from '../store/database.js';
import type { WebhookOutboxStatements } from '../store/webhook-outbox.js';
import { WhatsAppAuthStatements } from '../store/whatsapp-auth.js';
import { WhatsAppStatements } from '../store/whatsapp.js';

export interface WhatsApp {
  statements: WhatsAppStatements;
  sessions: WhatsAppSessions;
  engine: BaileysEngine;
}

export interface WhatsAppDeps {
  store: Store;
  sealer: Sealer;
  webhooks: WebhookOutboxStatements;
  receipts: ReceiptSink;
  config: Config['whatsapp'];
  logger: Logger;
  /** Builds WhatsApp Web sockets; Baileys' real ones unless a test passes its own. */
  connect: SocketFactory | undefined;
  /** The instances this node connects. */
  ownership: Ownership;
}

export function buildWhatsApp({ store, sealer, webhooks, receipts, config, logger, connect, ownership }: WhatsAppDeps): WhatsApp {
  const statements = new WhatsAppStatements(store, webhooks);
  const waVersion = new WhatsAppVersion(config.version, logger.child({ component: 'whatsapp' }));
  const sessions = new WhatsAppSessions({
    auth: new AuthStore(new WhatsAppAuthStatements(store), sealer),
    connect:
      connect ??
      baileysConnector({
        logger,
        getMessage: async (instanceId, id, askingJid) => {
          const bytes = await statements.sentMessage(instanceId, id, askingJid);
          return bytes === undefined ? undefined : proto.Message.decode(bytes);
        },
        ...(config.webSocketUrl !== undefined ? { waWebSocketUrl: config.webSocketUrl } : {}),
        version: () => waVersion.current(),
      }),
    statements,
    receipts,
    logger: logger.child({ component: 'whatsapp' }),
    staggerMs: config.startStaggerMs,
    ownership,
  });
  const engine = new BaileysEngine(sessions, new RecipientResolver(), (id) => statements.pacing(id), {
    willSend: (messageId, providerId) => statements.willSend(messageId, providerId),
    sent: (instanceId, jid, sent) => {
      if (sent.message === null || sent.message === undefined || typeof sent.key.id !== 'string') return;
      statements
        .rememberSent(instanceId, sent.key.id, jid, proto.Message.encode(sent.message).finish(), Date.now())
        .catch((err: unknown) => logger.error({ err }, 'could not keep a sent message for retries'));
    },
  });
  return { statements, sessions, engine };
}
