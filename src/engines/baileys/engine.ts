/**
 * The `baileys` engine: WhatsApp Web multi-device through Baileys. Sends go
 * through the instance's session, to the id WhatsApp resolved for the number,
 * under ids derived from the message_id (a resend is the same message).
 */
import { CodedError, NotBeforeError } from '../../domain/errors.js';
import type { WAMessage } from 'baileys';
import type { ContactLookup, Engine, EngineCapabilities, OutgoingMessage, SendReadiness, SendResult } from '../engine.js';
import { toContentParts } from './content.js';
import { Pacer, typingMs, type Clock, type PacingSettings, realClock } from './pacer.js';
import type { RecipientResolver } from './recipient-resolver.js';
import type { WhatsAppSession } from './session.js';
import type { WASocketPort } from './socket-port.js';

/** What the engine records around a send. */
export interface SentLog {
  /** Before the send: the WhatsApp id the message goes out under (receipts may come back fast). */
  willSend(messageId: string, providerId: string): Promise<void>;
  /** After the send: the message as sent, to answer the recipient's retry requests. */
  sent(instanceId: string, jid: string, message: WAMessage): void;
}

export interface SessionDirectory {
  /** The session of an instance, if this node runs it. */
  get(instanceId: string): WhatsAppSession | undefined;
  /** Tells `listener` each time an instance's number connects. */
  onConnected(listener: (instanceId: string) => void): void;
  /** Until when WhatsApp restricts the instance's number from starting new chats, if it does. */
  restrictedUntil(instanceId: string): number | undefined;
  /** Whether the instance's number already has a chat with `phone`. */
  knowsContact(instanceId: string, phone: string): Promise<boolean>;
}

export class BaileysEngine implements Engine {
  readonly name = 'baileys' as const;
  readonly capabilities: EngineCapabilities = { audioCaption: false, linking: true, lanesPerInstance: 2 };
  /** Asks WhatsApp through the instance's linked number (cached by the resolver). */
  readonly contacts: ContactLookup = {
    lookup: async (instanceId, phone) => {
      const socket = this.sessions.get(instanceId)?.connected;
      if (socket === undefined) throw new CodedError('instance_not_connected', 'Link a WhatsApp number to this instance first (GET /api/v1/instance/qr)');
      return { jid: await this.recipients.find(instanceId, socket, phone) };
    },
  };
  private readonly pacers = new Map<string, Pacer>();
  /** A number that is not connected (never linked, reconnecting, logged out, banned) makes its messages wait. */
  readonly readiness: SendReadiness = {
    canSend: (instanceId) => this.sessions.get(instanceId)?.connected !== undefined,
    onReady: (listener) => this.sessions.onConnected(listener),
  };

  constructor(
    private readonly sessions: SessionDirectory,
    private readonly recipients: RecipientResolver,
    private readonly pacing: (instanceId: string) => Promise<PacingSettings>,
    private readonly log: SentLog = { willSend: async () => {}, sent: () => {} },
    private readonly clock: Clock = realClock,
  ) {}

  private async pacerFor(instanceId: string): Promise<Pacer> {
    let pacer = this.pacers.get(instanceId);
    if (pacer === undefined) {
      const settings = await this.pacing(instanceId);
      // Another send of the instance may have made it while this one read the settings.
      pacer = this.pacers.get(instanceId) ?? new Pacer(settings, this.clock);
      this.pacers.set(instanceId, pacer);
    }
    return pacer;
  }

  async start(): Promise<void> {}
  async stop(): Promise<void> {}

  async send(m: OutgoingMessage): Promise<SendResult> {
    const session = this.sessions.get(m.instanceId);
    const socket = session?.connected;
    if (socket === undefined) {
      // The dispatcher asked `readiness` first: the number dropped in between, and the message waits.
      const state = session?.current.state ?? 'disconnected';
      throw new CodedError('instance_not_connected', `The WhatsApp number of this instance is ${state.replace('_', ' ')}`, true);
    }
    const restrictedUntil = this.sessions.restrictedUntil(m.instanceId);
    if (restrictedUntil !== undefined && !(await this.sessions.knowsContact(m.instanceId, m.recipient))) {
      // A send to a new chat now would be another reach-out (463) and prolong the restriction.
      throw new NotBeforeError(
        'instance_restricted',
        `WhatsApp restricts this number from starting new chats until ${new Date(restrictedUntil).toISOString()}; the message waits until then`,
        restrictedUntil,
      );
    }
    const jid = await this.recipients.resolve(m.instanceId, socket, m.recipient);
    const pacer = await this.pacerFor(m.instanceId);
    await pacer.turn(m.signal);
    // The session may have reconnected while we waited: use the socket that is open now.
    const live = this.sessions.get(m.instanceId)?.connected;
    if (live === undefined)
      throw new CodedError('instance_not_connected', 'The WhatsApp number of this instance disconnected; the message will be retried', true);
    const typing = pacer.current.typing && m.text !== undefined && m.media === undefined;
    if (typing && m.text !== undefined) {
      // WhatsApp shows "typing…" only from a client that is online; the number is kept
      // offline otherwise (markOnlineOnConnect: false) so the phone still gets notifications.
      // Best effort: a presence that fails to show must not stop the message.
      await live.sendPresenceUpdate('available').catch(() => undefined);
      await live.sendPresenceUpdate('composing', jid).catch(() => undefined);
      await this.clock.sleep(typingMs(m.text), m.signal).catch(() => undefined);
      await live.sendPresenceUpdate('paused', jid).catch(() => undefined);
    }
    try {
      return await this.sendParts(m, live, jid);
    } finally {
      if (typing) await live.sendPresenceUpdate('unavailable').catch(() => undefined);
    }
  }

  private async sendParts(m: OutgoingMessage, live: WASocketPort, jid: string): Promise<SendResult> {
    const parts = toContentParts(m);
    const first = parts[0];
    if (first === undefined) throw new Error('no content parts');
    await this.log.willSend(m.messageId, first.messageId);
    for (const part of parts) {
      try {
        const sent = await live.sendMessage(jid, part.content, { messageId: part.messageId });
        if (sent !== undefined) this.log.sent(m.instanceId, jid, sent);
      } catch (err) {
        const detail = err instanceof Error ? err.message.slice(0, 200) : 'unknown error';
        throw new CodedError('send_failed', `WhatsApp did not take the message: ${detail}`, true);
      }
    }
    return { providerId: first.messageId };
  }
}
