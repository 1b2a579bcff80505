/**
 * Meta's Graph API errors as the fake answers them: the shape
 * `{error: {message, type, code, error_subcode?, error_data: {messaging_product, details}, fbtrace_id}}`
 * with the HTTP status Meta uses for each code (clients must go by `code`).
 * Reference: ../shared/reference/cloud-api.md, "Errors".
 */
import { randomBytes } from 'node:crypto';

export interface GraphErrorSpec {
  status: number;
  type: string;
  message: string;
  /** The title of a `failed` status carrying this code (asynchronous errors). */
  title: string;
}

export const GRAPH_ERRORS: Record<number, GraphErrorSpec> = {
  4: { status: 400, type: 'OAuthException', message: '(#4) Application request limit reached', title: 'Too many API calls' },
  100: { status: 400, type: 'OAuthException', message: '(#100) Invalid parameter', title: 'Invalid parameter' },
  190: { status: 401, type: 'OAuthException', message: 'Error validating access token: The session is invalid.', title: 'Access token has expired' },
  368: {
    status: 400,
    type: 'OAuthException',
    message: '(#368) Temporarily blocked for policies violations',
    title: 'Temporarily blocked for policies violations',
  },
  130429: { status: 400, type: 'OAuthException', message: '(#130429) Rate limit hit', title: 'Rate limit hit' },
  131000: { status: 500, type: 'OAuthException', message: '(#131000) Something went wrong', title: 'Something went wrong' },
  131008: { status: 400, type: 'OAuthException', message: '(#131008) Required parameter is missing', title: 'Required parameter is missing' },
  131009: { status: 400, type: 'OAuthException', message: '(#131009) Parameter value is not valid', title: 'Parameter value is not valid' },
  131026: { status: 400, type: 'OAuthException', message: '(#131026) Message undeliverable', title: 'Message undeliverable' },
  131047: {
    status: 400,
    type: 'OAuthException',
    message: '(#131047) Re-engagement message',
    title: 'Message failed to send because more than 24 hours have passed since the customer last replied to this number.',
  },
  131051: { status: 400, type: 'OAuthException', message: '(#131051) Unsupported message type', title: 'Unsupported message type' },
  131053: { status: 400, type: 'OAuthException', message: '(#131053) Media upload error', title: 'Media upload error' },
  131056: {
    status: 400,
    type: 'OAuthException',
    message: '(#131056) (Business Account, Consumer Account) pair rate limit hit',
    title: '(Business Account, Consumer Account) pair rate limit hit',
  },
};

/** A Graph error: the status and the body Meta answers with. */
export class GraphError extends Error {
  constructor(
    readonly code: number,
    readonly details: string,
    readonly subcode?: number,
    readonly override?: { status?: number; type?: string; message?: string },
  ) {
    super(`${code}: ${details}`);
  }

  get status(): number {
    return this.override?.status ?? GRAPH_ERRORS[this.code]?.status ?? 400;
  }

  body(): unknown {
    const spec = GRAPH_ERRORS[this.code];
    return {
      error: {
        message: this.override?.message ?? spec?.message ?? `(#${this.code}) Error`,
        type: this.override?.type ?? spec?.type ?? 'OAuthException',
        code: this.code,
        ...(this.subcode !== undefined ? { error_subcode: this.subcode } : {}),
        error_data: { messaging_product: 'whatsapp', details: this.details },
        fbtrace_id: randomBytes(9).toString('base64url'),
      },
    };
  }
}

/** An object id Graph does not know (a phone-number id, a media id): 400, GraphMethodException, 100/33. */
export function unknownObject(id: string): GraphError {
  return new GraphError(100, `Object ${id} not found`, 33, {
    type: 'GraphMethodException',
    message: `Unsupported post request. Object with ID '${id}' does not exist, cannot be loaded due to missing permissions, or does not support this operation`,
  });
}
