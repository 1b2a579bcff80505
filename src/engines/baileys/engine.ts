/**
 * The `baileys` engine: WhatsApp Web multi-device through Baileys. Sends go
 * through the instance's session, to the id WhatsApp resolved for the number,
 * under ids derived from the message_id (a resend is the same message).
 */
import { CodedError } from '../../domain/errors.js';
import type { WAMessage } from 'baileys';
import type { Engine, EngineCapabilities, OutgoingMessage, SendResult } from '../engine.js';
import { toContentParts } from './content.js';
import { Pacer, typingMs, type Clock, type PacingSettings, realClock } from './pacer.js';
import type { RecipientResolver } from './recipient-resolver.js';
import type { WhatsAppSession } from './session.js';

export interface SessionDirectory {
  /** The session of an instance, if this node runs it. */
  get(instanceId: string): WhatsAppSession | undefined;
}

export class BaileysEngine implements Engine {
  readonly name = 'baileys' as const;
  readonly capabilities: EngineCapabilities = { audioCaption: false, linking: true };
  private readonly pacers = new Map<string, Pacer>();

  constructor(
    private readonly sessions: SessionDirectory,
    private readonly recipients: RecipientResolver,
    private readonly pacing: (instanceId: string) => PacingSettings,
    /** Keeps what was sent, to answer recipients' retry requests. */
    private readonly remember: (instanceId: string, sent: WAMessage) => void = () => {},
    private readonly clock: Clock = realClock,
  ) {}

  private pacerFor(instanceId: string): Pacer {
    let pacer = this.pacers.get(instanceId);
    if (pacer === undefined) {
      pacer = new Pacer(this.pacing(instanceId), this.clock);
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
      const state = session?.current.state ?? 'disconnected';
      // Not linked yet, or reconnecting: the message waits; a logged-out or banned number fails it.
      const permanent = state === 'logged_out' || state === 'banned';
      throw new CodedError('instance_not_connected', `The WhatsApp number of this instance is ${state.replace('_', ' ')}`, !permanent);
    }
    const jid = await this.recipients.resolve(m.instanceId, socket, m.recipient);
    const pacer = this.pacerFor(m.instanceId);
    await pacer.turn(m.signal);
    if (pacer.current.typing && m.text !== undefined && m.media === undefined) {
      // Best effort: a presence that fails to show must not stop the message.
      await socket.sendPresenceUpdate('composing', jid).catch(() => undefined);
      await this.clock.sleep(typingMs(m.text), m.signal).catch(() => undefined);
      await socket.sendPresenceUpdate('paused', jid).catch(() => undefined);
    }
    const parts = toContentParts(m);
    for (const part of parts) {
      try {
        const sent = await socket.sendMessage(jid, part.content, { messageId: part.messageId });
        if (sent !== undefined) this.remember(m.instanceId, sent);
      } catch (err) {
        const detail = err instanceof Error ? err.message.slice(0, 200) : 'unknown error';
        throw new CodedError('send_failed', `WhatsApp did not take the message: ${detail}`, true);
      }
    }
    const first = parts[0];
    if (first === undefined) throw new Error('no content parts');
    return { providerId: first.messageId };
  }
}
