/**
 * What a send attempt comes to when it does not succeed: a permanent error
 * fails the message, a transient one schedules a retry with backoff (until
 * the attempts run out), a shutdown retries at once on the next start, and a
 * number that cannot send makes the message wait.
 */
import { CodedError, NotBeforeError } from '../domain/errors.js';
import type { Outcome } from '../store/outcomes.js';
import { retryDelayMs } from '../util/backoff.js';

export interface RetryPolicy {
  maxAttempts: number;
  retryBaseMs: number;
  retryMaxDelayMs: number;
}

/** Earlier attempts never reported back (the process died during them). */
export function exhaustedOutcome(messageId: string, attempts: number, at: number): Outcome {
  return { kind: 'failed', messageId, code: 'attempts_exhausted', reason: `Gave up after ${attempts} attempts that did not complete`, at };
}

/** The instance cannot send now; the message waits for it (`refund`: the attempt counted is given back). */
export function waitingOutcome(messageId: string, refund: boolean, at: number): Outcome {
  return {
    kind: 'waiting',
    messageId,
    refund,
    at,
    code: 'instance_not_connected',
    reason: 'The instance cannot send now (its number is not connected); the message waits for it',
  };
}

/**
 * The outcome of attempt `attempt` that threw `err`. `interrupted`: the error is
 * the shutdown's abort. `unexpected` is called for an error that is not one of ours.
 */
export function failureOutcome(
  messageId: string,
  attempt: number,
  err: unknown,
  at: number,
  policy: RetryPolicy,
  interrupted: boolean,
  unexpected: (err: unknown) => void,
): Outcome {
  if (interrupted) return { kind: 'retry', messageId, code: 'shutting_down', reason: 'Interrupted by a shutdown', at, runAt: at };
  // Not this message's fault and not before a known time: its lane waits until then, the attempt given back.
  if (err instanceof NotBeforeError) return { kind: 'waiting', messageId, refund: true, at, code: err.code, reason: err.message, runAt: err.until };
  if (!(err instanceof CodedError)) unexpected(err);
  const coded = err instanceof CodedError ? err : new CodedError('internal_error', 'An unexpected error occurred while sending; it will be retried', true);
  if (!coded.transient) return { kind: 'failed', messageId, code: coded.code, reason: coded.message, at };
  if (attempt >= policy.maxAttempts) {
    return { kind: 'failed', messageId, code: coded.code, reason: `${coded.message} (gave up after ${attempt} attempts)`, at };
  }
  return {
    kind: 'retry',
    messageId,
    code: coded.code,
    reason: coded.message,
    at,
    runAt: at + retryDelayMs(attempt, policy.retryBaseMs, policy.retryMaxDelayMs),
  };
}
