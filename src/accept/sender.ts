/**
 * The send use case behind POST /api/v1/message/{type}: admit, validate,
 * store durably, answer. With an idempotency key, the same request made twice
 * (or at once) is one message.
 */
import type { MessageType } from '../domain/message.js';
import type { Acceptor } from '../dispatch/acceptor.js';
import type { Admission } from './admission.js';
import type { IdempotencyClaim, IdempotencyGate, IdempotentResult } from './idempotency-gate.js';
import { requestHash } from './request-hash.js';
import type { SendBody, SendValidator, StreamedBase64 } from './validate-send.js';

export class Sender {
  constructor(
    private readonly admission: Admission,
    private readonly validator: SendValidator,
    private readonly acceptor: Acceptor,
    private readonly idempotency: IdempotencyGate,
  ) {}

  /** `streamed`: the file of `data.base64`, decoded while the body arrived. */
  async send(instanceId: string, type: MessageType, body: SendBody, idempotencyKey: string | undefined, streamed?: StreamedBase64): Promise<IdempotentResult> {
    if (idempotencyKey === undefined) {
      const messageId = await this.create(instanceId, type, body, undefined, streamed);
      if (messageId === undefined) throw new Error('a message without an idempotency key was not stored');
      return { messageId, replayed: false };
    }
    const claim = { key: idempotencyKey, requestHash: requestHash(type, body, streamed?.textDigest) };
    return this.idempotency.run(instanceId, claim, async (c) => {
      const messageId = await this.create(instanceId, type, body, c, streamed);
      return messageId === undefined ? { stored: false } : { stored: true, messageId };
    });
  }

  /** The new message's id, or undefined when its key turned out to be taken. */
  private async create(
    instanceId: string,
    type: MessageType,
    body: SendBody,
    claim: IdempotencyClaim | undefined,
    streamed: StreamedBase64 | undefined,
  ): Promise<string | undefined> {
    await this.admission.admit(instanceId);
    let stored = false;
    try {
      const message = await this.validator.validate(type, instanceId, body, streamed);
      if (message.media?.bytes !== undefined) await this.admission.admitMedia(instanceId, message.media.bytes.length);
      if (claim !== undefined) message.idempotency = claim;
      stored = (await this.acceptor.accept(message)) === 'stored';
      return stored ? message.id : undefined;
    } finally {
      this.admission.settle(instanceId, stored);
    }
  }
}
