import { request, type Agent } from 'undici';
import { CodedError } from '../domain/errors.js';
import { isPublicAddress } from './address-guard.js';
import { networkError, timeoutError } from './fetch-errors.js';
import { createGuardedAgent, systemLookup, type MediaLookup } from './guarded-agent.js';
import { assertLiteralAllowed, parseMediaUrl } from './media-url.js';
import { discardBody, readCappedBody } from './read-body.js';
import { untilAborted } from './abortable.js';

/**
 * Downloads a media URL given by a client without letting it reach our own
 * network (SSRF), hang a worker, or exhaust memory: every hop is checked, the
 * checked address is the one connected to, one deadline covers everything,
 * and the body is capped while it streams.
 */
export { checkMediaUrlSyntax } from './media-url.js';
export type { MediaLookup, ResolvedAddress } from './guarded-agent.js';

export interface FetchedMedia {
  bytes: Buffer;
  contentType: string | undefined;
  finalUrl: string;
}

export interface FetchMediaOptions {
  maxBytes: number;
  /** One budget for DNS, every redirect hop and the whole body. */
  deadlineMs: number;
  allowPrivateNetworks: boolean;
  maxRedirects?: number;
  /** Cancels the download; the promise then rejects with the signal's reason. */
  signal?: AbortSignal;
  lookup?: MediaLookup;
  /** Address policy when private networks are not allowed; tests narrow it to one loopback IP. */
  isAllowedAddress?: (ip: string) => boolean;
}

const REDIRECT_STATUSES = new Set([301, 302, 303, 307, 308]);
const HEADERS = { accept: '*/*', 'user-agent': 'Connexa media fetcher' };

export async function fetchMedia(url: string, opts: FetchMediaOptions): Promise<FetchedMedia> {
  const deadline = AbortSignal.timeout(opts.deadlineMs);
  const signal = opts.signal === undefined ? deadline : AbortSignal.any([deadline, opts.signal]);
  const isAllowed = opts.allowPrivateNetworks ? () => true : (opts.isAllowedAddress ?? isPublicAddress);
  // A per-call Agent: its connections never outlive the call, so a pooled socket
  // checked under one policy is never reused under another.
  const agent = createGuardedAgent(opts.lookup ?? systemLookup, isAllowed);
  try {
    return await followRedirects(url, opts, agent, signal, isAllowed);
  } catch (error) {
    if (error instanceof CodedError) throw error;
    if (deadline.aborted) throw timeoutError(opts.deadlineMs);
    if (opts.signal?.aborted === true) throw opts.signal.reason;
    throw networkError(error);
  } finally {
    // Destroy, not close: close would wait for a stalled server. A failure here
    // must not replace the error that ended the download.
    await agent.destroy().catch(() => undefined);
  }
}

async function followRedirects(
  url: string,
  opts: FetchMediaOptions,
  agent: Agent,
  signal: AbortSignal,
  isAllowed: (ip: string) => boolean,
): Promise<FetchedMedia> {
  const maxRedirects = opts.maxRedirects ?? 5;
  let current = parseMediaUrl(url);
  for (let redirects = 0; ; redirects++) {
    assertLiteralAllowed(current, isAllowed);
    const pending = request(current, { method: 'GET', headers: HEADERS, dispatcher: agent, signal });
    const { statusCode, headers, body } = await untilAborted(pending, signal, (late) => discardBody(late.body));

    if (REDIRECT_STATUSES.has(statusCode)) {
      discardBody(body);
      const location = headers.location;
      if (typeof location !== 'string' || location === '') {
        throw new CodedError('media_fetch_failed', `The media URL answered HTTP ${statusCode} without a Location`);
      }
      if (redirects >= maxRedirects) {
        throw new CodedError('media_fetch_failed', `The media URL redirected more than ${maxRedirects} times (too many redirects)`);
      }
      current = parseMediaUrl(location, 'A redirect target of the media URL', current);
      continue;
    }
    if (statusCode < 200 || statusCode > 299) {
      discardBody(body);
      const transient = statusCode >= 500 || statusCode === 429;
      throw new CodedError('media_fetch_failed', `The media URL answered HTTP ${statusCode}`, transient);
    }
    const bytes = await readCappedBody(body, opts.maxBytes, headers['content-length']);
    const contentType = headers['content-type'];
    return { bytes, contentType: typeof contentType === 'string' ? contentType : undefined, finalUrl: current.href };
  }
}
