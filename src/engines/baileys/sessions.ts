/**
 * All WhatsApp sessions of this node, one per `baileys` instance: started
 * staggered at boot (many numbers reconnecting at once look like an attack),
 * their state persisted, their receipts and incoming messages routed to the
 * store. The HTTP instance endpoints act through this directory.
 */
import type { Logger } from 'pino';
import { OWNS_ALL, type Ownership } from '../../domain/ownership.js';
import type { WhatsAppStatements } from '../../store/whatsapp.js';
import type { ReceiptSink } from '../engine.js';
import type { AuthStore } from './auth-store.js';
import type { SessionDirectory } from './engine.js';
import { changeFromMessage } from './inbound-changes.js';
import { inboundFromMessage, phoneOf, type Sender } from './inbound-map.js';
import { receiptsFromUpdates, type ProviderReceipt } from './receipt-map.js';
import { Restriction } from './restriction.js';
import { WhatsAppSession, type SessionSnapshot } from './session.js';
import type { SocketFactory, WASocketPort } from './socket-port.js';

export interface SessionsOptions {
  auth: AuthStore;
  connect: SocketFactory;
  statements: WhatsAppStatements;
  receipts: ReceiptSink;
  logger: Logger;
  staggerMs?: number;
  backoffBaseMs?: number;
  now?: () => number;
  /** The instances this node connects (a cluster: those it holds the lease of); all by default. */
  ownership?: Ownership;
}

export class WhatsAppSessions implements SessionDirectory {
  private readonly sessions = new Map<string, WhatsAppSession>();
  /** Sessions being created (their stored state is being read). */
  private readonly creating = new Map<string, Promise<WhatsAppSession>>();
  private readonly restrictions = new Map<string, Restriction>();
  private readonly timers = new Map<string, NodeJS.Timeout>();
  private readonly connectedListeners: ((instanceId: string) => void)[] = [];

  constructor(private readonly o: SessionsOptions) {}

  get(instanceId: string): WhatsAppSession | undefined {
    return this.sessions.get(instanceId);
  }

  onConnected(listener: (instanceId: string) => void): void {
    this.connectedListeners.push(listener);
  }

  restrictedUntil(instanceId: string): number | undefined {
    return this.restrictions.get(instanceId)?.activeUntil;
  }

  knowsContact(instanceId: string, phone: string): Promise<boolean> {
    return this.o.statements.knowsContact(instanceId, phone);
  }

  /** Reconnects every linked instance this node owns, a little apart from each other. */
  async startAll(): Promise<void> {
    this.reconnect(await this.o.statements.linkedInstances());
  }

  /** Reconnects those of these instances that are linked (instances this node just took over). */
  async startSome(instanceIds: readonly string[]): Promise<void> {
    const linked = new Set(await this.o.statements.linkedInstances());
    this.reconnect(instanceIds.filter((id) => linked.has(id)));
  }

  private reconnect(instanceIds: readonly string[]): void {
    const stagger = this.o.staggerMs ?? 500;
    const ownership = this.o.ownership ?? OWNS_ALL;
    instanceIds
      .filter((id) => ownership.holds(id) && !this.timers.has(id))
      .forEach((id, i) => {
        const t = setTimeout(() => {
          this.timers.delete(id);
          // The instance may have been deleted, or its lease lost, while waiting for its turn.
          if (!ownership.holds(id)) return;
          void this.startIfStored(id).catch((err: unknown) => this.o.logger.error({ err, instanceId: id }, 'could not start the session'));
        }, i * stagger);
        this.timers.set(id, t);
      });
  }

  private async startIfStored(instanceId: string): Promise<void> {
    if ((await this.o.statements.storedState(instanceId)) !== undefined) (await this.ensure(instanceId)).start();
  }

  /** The session of an instance, created (not started) if this node has none yet. */
  async ensure(instanceId: string): Promise<WhatsAppSession> {
    const session = this.sessions.get(instanceId);
    if (session !== undefined) return session;
    let creating = this.creating.get(instanceId);
    if (creating === undefined) {
      creating = this.create(instanceId)
        .then((created) => {
          this.sessions.set(instanceId, created);
          return created;
        })
        .finally(() => this.creating.delete(instanceId));
      this.creating.set(instanceId, creating);
    }
    return creating;
  }

  async snapshot(instanceId: string): Promise<SessionSnapshot> {
    return (await this.ensure(instanceId)).current;
  }

  /** Links by an 8-character code typed on the phone instead of a QR scan. */
  async pairingCode(instanceId: string, phone: string): Promise<string> {
    const session = await this.ensure(instanceId);
    if (['disconnected', 'failed', 'logged_out'].includes(session.current.state)) session.start();
    return session.requestPairingCode(phone);
  }

  async logout(instanceId: string): Promise<void> {
    await (await this.ensure(instanceId)).logout();
  }

  async restart(instanceId: string): Promise<void> {
    const session = await this.ensure(instanceId);
    session.stop();
    session.start();
  }

  /** Drops an instance's session from this node (after logout or deletion). */
  forget(instanceId: string): void {
    const timer = this.timers.get(instanceId);
    if (timer !== undefined) clearTimeout(timer);
    this.timers.delete(instanceId);
    this.sessions.get(instanceId)?.stop();
    this.sessions.delete(instanceId);
    this.restrictions.get(instanceId)?.dispose();
    this.restrictions.delete(instanceId);
  }

  stopAll(): void {
    for (const t of this.timers.values()) clearTimeout(t);
    this.timers.clear();
    for (const s of this.sessions.values()) s.stop();
    for (const r of this.restrictions.values()) r.dispose();
  }

  private async create(instanceId: string): Promise<WhatsAppSession> {
    const { logger, statements } = this.o;
    const now = this.o.now ?? Date.now;
    const stored = await statements.storedState(instanceId);
    const known = ['banned', 'failed', 'logged_out'] as const;
    const initialState = known.find((s) => s === stored?.state);
    const restriction = new Restriction({
      ...(stored?.restrictedUntil !== undefined ? { initial: stored.restrictedUntil } : {}),
      onChange: (until) => {
        if (until !== undefined) logger.warn({ instanceId, until: new Date(until).toISOString() }, 'WhatsApp restricts this number from starting new chats');
        statements.saveRestriction(instanceId, until, now()).catch((err: unknown) => logger.error({ err, instanceId }, 'could not save the restriction'));
      },
      now,
    });
    this.restrictions.set(instanceId, restriction);
    let inbound = Promise.resolve();
    return new WhatsAppSession({
      instanceId,
      ...(initialState !== undefined
        ? {
            initial: {
              state: initialState,
              since: stored?.since ?? now(),
              ...(stored?.reason !== null && stored?.reason !== undefined ? { reason: stored.reason } : {}),
            },
          }
        : {}),
      auth: this.o.auth,
      connect: this.o.connect,
      logger,
      ...(this.o.backoffBaseMs !== undefined ? { backoffBaseMs: this.o.backoffBaseMs } : {}),
      onChange: (snap) => {
        // A node handing the instance over (or that lost it) closes its socket without recording it: the new owner's state counts.
        if (!(this.o.ownership ?? OWNS_ALL).holds(instanceId)) return;
        statements.saveState(instanceId, snap).catch((err: unknown) => logger.error({ err, instanceId }, 'could not save the instance state'));
        if (snap.state === 'connected') for (const listener of this.connectedListeners) listener(instanceId);
      },
      attach: (listen, socket) => {
        listen('connection.update', (u) => {
          if (u.reachoutTimeLock !== undefined) restriction.fromWhatsApp(u.reachoutTimeLock);
        });
        listen('messages.update', (updates) => {
          const found = receiptsFromUpdates(updates);
          if (found.length === 0) return;
          // A 463: WhatsApp refuses new chats from this number for now.
          if (found.some((r) => r.code === 'reachout_timelock')) restriction.after463();
          const at = now();
          this.applyReceipts(instanceId, found, at).catch((err: unknown) => logger.error({ err, instanceId }, 'could not record receipts'));
        });
        listen('messages.upsert', ({ messages, type }) => {
          // 'append' carries what arrived while we were offline; repeats are ignored by id.
          if (type !== 'notify' && type !== 'append') return;
          const rows = messages.flatMap((m) => inboundFromMessage(m) ?? []);
          const changes = messages.flatMap((m) => changeFromMessage(m) ?? []);
          if (rows.length === 0 && changes.length === 0) return;
          // One batch after another: messages are stored (and numbered) in the order they arrived.
          inbound = inbound
            .then(async () => {
              await withPhones(socket, [...rows, ...changes]);
              if (rows.length > 0) await statements.saveInbound(instanceId, rows, now());
              if (changes.length > 0) await statements.saveChanges(instanceId, changes, now());
            })
            .catch((err: unknown) => logger.error({ err, instanceId }, 'could not store incoming messages'));
        });
      },
    });
  }

  /** Receipts for messages this instance sent are recorded; a delivered or read one also records the contact. */
  private async applyReceipts(instanceId: string, found: ProviderReceipt[], at: number): Promise<void> {
    const { statements } = this.o;
    const ids = await statements.messageIds(
      instanceId,
      found.map((r) => r.providerId),
    );
    const receipts = found.flatMap((r) => {
      const message = ids.get(r.providerId);
      return message === undefined
        ? []
        : [{ messageId: message.id, status: r.status, at, ...(r.code !== undefined ? { code: r.code, reason: r.reason ?? '' } : {}) }];
    });
    if (receipts.length > 0) await this.o.receipts.record(receipts);
    // Delivered or read: the number now has a chat with them (a restriction on new chats spares it).
    const reached = new Set<string>();
    for (const r of found) {
      const message = ids.get(r.providerId);
      // Only the first receipt of a new chat writes: later ones find the contact known (one indexed read).
      if (r.status !== 'failed' && message !== undefined && !reached.has(message.recipient) && !(await statements.knowsContact(instanceId, message.recipient)))
        reached.add(message.recipient);
    }
    if (reached.size > 0) await statements.addContacts(instanceId, [...reached], at);
  }
}

/**
 * Fills the phone of senders WhatsApp named only by LID, from the mapping
 * Baileys keeps (unknown ones stay without a phone).
 */
async function withPhones(socket: WASocketPort, senders: Sender[]): Promise<void> {
  const mapping = socket.signalRepository?.lidMapping;
  if (mapping === undefined) return;
  for (const s of senders) {
    if (s.phone !== undefined || !s.senderJid.endsWith('@lid')) continue;
    s.phone = phoneOf(await mapping.getPNForLID(s.senderJid));
  }
}
