import { CodedError } from '../domain/errors.js';
import { isPublicAddress, parseHostLiteral } from './address-guard.js';

/**
 * Syntax rules for a media URL, applied when a request is accepted and again
 * on every redirect hop. Credentials in the URL are refused: they would be
 * stored with the message and sent on to whatever host a redirect names.
 */
export const MAX_MEDIA_URL_LENGTH = 2048;

/**
 * Parses and checks a URL; `base` resolves a relative redirect Location, and
 * `label` names the URL in messages ("The media URL", "A redirect target").
 */
export function parseMediaUrl(url: string, label = 'The media URL', base?: URL): URL {
  if (url.length > MAX_MEDIA_URL_LENGTH) {
    throw invalidUrl(`${label} is ${url.length} characters long; the limit is ${MAX_MEDIA_URL_LENGTH}`);
  }
  let parsed: URL;
  try {
    parsed = new URL(url, base);
  } catch {
    throw invalidUrl(`${label} is not a valid absolute URL`);
  }
  if (parsed.protocol !== 'http:' && parsed.protocol !== 'https:') {
    throw invalidUrl(`${label} must use http or https, not ${parsed.protocol.slice(0, -1)}`);
  }
  if (parsed.username !== '' || parsed.password !== '') {
    throw invalidUrl(`${label} must not contain a username or password`);
  }
  return parsed;
}

/** Refuses a URL whose host is an IP literal outside the allowed addresses. */
export function assertLiteralAllowed(url: URL, isAllowed: (ip: string) => boolean): void {
  const literal = parseHostLiteral(url.hostname);
  if (literal !== undefined && !isAllowed(literal)) throw blockedUrl(url.hostname);
}

export function blockedUrl(host: string): CodedError {
  return new CodedError('media_url_blocked', `The host ${host} is or resolves to a private or reserved address, which Connexa may not connect to`, false);
}

/**
 * Request-time validation: everything that can be decided without DNS.
 * Returns the error rather than throwing so route code can attach it to a field.
 */
export function checkMediaUrlSyntax(url: string, allowPrivateNetworks = false): CodedError | undefined {
  try {
    const parsed = parseMediaUrl(url);
    if (!allowPrivateNetworks) assertLiteralAllowed(parsed, isPublicAddress);
    return undefined;
  } catch (error) {
    if (error instanceof CodedError) return error;
    throw error;
  }
}

function invalidUrl(message: string): CodedError {
  return new CodedError('invalid_url', message);
}
