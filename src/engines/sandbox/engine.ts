/**
 * The sandbox: a simulated WhatsApp for development, demos, CI and load tests.
 * It "receives" each message into a durable inbox, then "delivers" and
 * "reads" it on a schedule (see scheduler.ts). Magic numbers fail in
 * documented ways (magic.ts).
 */
import { CodedError } from '../../domain/errors.js';
import { deriveProviderId } from '../../domain/provider-id.js';
import { BatchWriter } from '../../util/batch-writer.js';
import type { ContactLookup, Engine, EngineCapabilities, OutgoingMessage, SendResult } from '../engine.js';
import type { Arrival, SandboxInboxStatements } from '../../store/sandbox-inbox.js';
import { behaviourFor } from './magic.js';

export interface SandboxTiming {
  deliverAfterMs: number;
  readAfterMs: number;
}

export class SandboxEngine implements Engine {
  readonly name = 'sandbox' as const;
  readonly capabilities: EngineCapabilities = { audioCaption: false, linking: false, lanesPerInstance: Number.POSITIVE_INFINITY };
  /** The magic numbers decide: one of them is not on WhatsApp, every other number is. */
  readonly contacts: ContactLookup = {
    lookup: async (_instanceId, phone) => ({ jid: behaviourFor(phone).kind === 'not_on_whatsapp' ? null : `${phone}@s.whatsapp.net` }),
  };
  private readonly writer: BatchWriter<Arrival>;

  constructor(
    inbox: SandboxInboxStatements,
    private readonly timing: SandboxTiming,
    private readonly now: () => number = Date.now,
  ) {
    // Arrivals of one pass's sends are recorded together right after the pass, in the same turn.
    this.writer = new BatchWriter((items) => inbox.record(items), { thisTurn: true });
  }

  async start(): Promise<void> {}

  async stop(): Promise<void> {
    await this.writer.drain();
  }

  async send(m: OutgoingMessage): Promise<SendResult> {
    const behaviour = behaviourFor(m.recipient);
    if (behaviour.kind === 'not_on_whatsapp') {
      throw new CodedError('recipient_not_on_whatsapp', `The number ${m.recipient} is not on WhatsApp`);
    }
    if (behaviour.kind === 'flaky' && m.attempt <= behaviour.failures) {
      throw new CodedError('sandbox_transient_failure', `Simulated transient failure on attempt ${m.attempt}`, true);
    }
    const at = this.now();
    const readDue = behaviour.kind === 'never_read' ? null : at + this.timing.readAfterMs;
    const base = {
      instanceId: m.instanceId,
      messageId: m.messageId,
      recipient: m.recipient,
      receivedAt: at,
      deliverDue: at + this.timing.deliverAfterMs,
      readDue,
    };
    const textPart = (part: number): Arrival => ({
      ...base,
      part,
      providerId: deriveProviderId('SBX', m.messageId, part),
      type: 'text',
      text: m.text ?? null,
      mediaMime: null,
      mediaSize: null,
      mediaSha256: null,
      mediaFilename: null,
    });
    const parts: Arrival[] = [];
    if (m.media === undefined) {
      parts.push(textPart(0));
    } else {
      const captionFollows = m.media.kind === 'audio' && !this.capabilities.audioCaption && m.text !== undefined;
      parts.push({
        ...base,
        part: 0,
        providerId: deriveProviderId('SBX', m.messageId, 0),
        type: m.type,
        text: captionFollows ? null : (m.text ?? null),
        mediaMime: m.media.mime,
        mediaSize: m.media.bytes.length,
        mediaSha256: m.media.sha256,
        mediaFilename: m.media.filename ?? null,
      });
      if (captionFollows) parts.push(textPart(1));
    }
    await Promise.all(parts.map((p) => this.writer.submit(p)));
    const first = parts[0];
    if (first === undefined) throw new Error('no parts');
    return { providerId: first.providerId };
  }
}
