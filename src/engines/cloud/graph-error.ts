/**
 * Meta's Graph API errors, and what each means for a Connexa message. Meta's
 * answers are handled by `code` (its HTTP statuses disagree between tables):
 * permanent refusals fail the message with a Connexa code and Meta's reason;
 * throughput, pair-rate and availability errors are retried with backoff
 * (a transient failure puts only that recipient's lane to sleep, so 131056
 * holds back that recipient alone); 190 means the instance's token must be
 * replaced. Reference: ../shared/reference/cloud-api.md, "Errors".
 */
import { CodedError } from '../../domain/errors.js';

/** A Graph API error answer: `{error: {message, type, code, error_subcode?, error_data: {details}, fbtrace_id}}`. */
export class GraphApiError extends Error {
  constructor(
    readonly status: number,
    readonly code: number,
    readonly subcode: number | undefined,
    readonly details: string,
    message: string,
  ) {
    super(message);
    this.name = 'GraphApiError';
  }
}

interface Mapping {
  code: string;
  transient: boolean;
}

const TABLE: Record<number, Mapping> = {
  190: { code: 'token_invalid', transient: false },
  100: { code: 'provider_rejected', transient: false },
  131008: { code: 'provider_rejected', transient: false },
  131009: { code: 'provider_rejected', transient: false },
  131051: { code: 'provider_rejected', transient: false },
  131026: { code: 'recipient_not_on_whatsapp', transient: false },
  131047: { code: 'outside_customer_window', transient: false },
  131053: { code: 'media_rejected', transient: false },
  131056: { code: 'pair_rate_limited', transient: true },
  130429: { code: 'rate_limited', transient: true },
  4: { code: 'rate_limited', transient: true },
  80007: { code: 'rate_limited', transient: true },
  131000: { code: 'provider_unavailable', transient: true },
  2: { code: 'provider_unavailable', transient: true },
  131016: { code: 'provider_unavailable', transient: true },
  133004: { code: 'provider_unavailable', transient: true },
  131057: { code: 'provider_unavailable', transient: true },
  368: { code: 'policy_blocked', transient: false },
  131031: { code: 'account_locked', transient: false },
  131048: { code: 'spam_limited', transient: false },
  131049: { code: 'marketing_limited', transient: false },
};

/** The Connexa outcome of a Graph error code (an HTTP status decides codes the table does not know). */
export function mappingOf(code: number, status: number): Mapping {
  return TABLE[code] ?? (status >= 500 || status === 429 ? { code: 'provider_unavailable', transient: true } : { code: 'provider_rejected', transient: false });
}

/** The error a send fails with: Connexa's code, Meta's code and reason in the message (never the token). */
export function codedFromGraph(err: GraphApiError): CodedError {
  const m = mappingOf(err.code, err.status);
  const reason = err.details !== '' ? `${err.message}: ${err.details}` : err.message;
  return new CodedError(m.code, `Cloud API error ${err.code}${err.subcode !== undefined ? `/${err.subcode}` : ''}: ${reason.slice(0, 400)}`, m.transient);
}
