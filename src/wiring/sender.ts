/** The send use case: admission (queue, rate, media caps), validation, idempotency, and the accept writer. */
import { Admission } from '../accept/admission.js';
import { IdempotencyGate } from '../accept/idempotency-gate.js';
import { QueueDepth } from '../accept/queue-depth.js';
import { Sender } from '../accept/sender.js';
import { SendValidator } from '../accept/validate-send.js';
import type { Config } from '../config.js';
import { Acceptor } from '../dispatch/acceptor.js';
import { PhoneNormalizer } from '../domain/phone.js';
import { UuidV7 } from '../domain/uuid7.js';
import type { Store } from '../store/database.js';
import { IdempotencyStatements } from '../store/idempotency.js';
import type { MediaSpool } from '../store/media-spool.js';
import { AcceptStatements } from '../store/messages.js';
import type { QueueDepthStatements } from '../store/queue-depth.js';

export interface Sending {
  sender: Sender;
  acceptor: Acceptor;
  idempotency: IdempotencyStatements;
}

export function buildSender(config: Config, store: Store, spool: MediaSpool, waiting: QueueDepthStatements, accepted: () => void): Sending {
  const messageIds = new UuidV7();
  const acceptor = new Acceptor(
    new AcceptStatements(store),
    spool,
    accepted,
    config.limits.idempotencyTtlMs,
    Date.now,
    config.database.dialect === 'postgres' ? config.database.acceptCommits : 1,
  );
  const idempotency = new IdempotencyStatements(store);
  const admission = new Admission(new QueueDepth((id) => waiting.depth(id)), {
    ratePerSecond: config.limits.sendRatePerInstance,
    queueMax: config.limits.queueMaxPerInstance,
    queueFullRetryAfterS: 10,
    mediaQueueMaxBytes: config.limits.mediaQueueMaxBytesPerInstance,
    mediaWaiting: (id) => waiting.mediaBytes(id),
    // Several nodes: the rate is the instance's, whichever node a send reaches.
    ...(store.sharedLimiter !== undefined ? { limiter: store.sharedLimiter.bind(store) } : {}),
  });
  const validator = new SendValidator(
    new PhoneNormalizer(),
    { mediaMaxBytes: config.mediaMaxBytes, allowPrivateNetworks: config.mediaAllowPrivateNetworks },
    () => messageIds.next(),
  );
  const sender = new Sender(admission, validator, acceptor, new IdempotencyGate(idempotency, config.limits.idempotencyTtlMs));
  return { sender, acceptor, idempotency };
}
