import { CodedError } from '../domain/errors.js';

/**
 * Turns a network-level failure into a CodedError with a sentence a client can
 * act on. Node's own messages carry the resolved IP and port ("connect
 * ECONNREFUSED 10.0.0.5:80"), which would tell a caller about our internal
 * network, so only the error code is used.
 */
const SENTENCES: Readonly<Record<string, string>> = {
  ENOTFOUND: 'its host name could not be resolved',
  EAI_AGAIN: 'its host name could not be resolved (temporary DNS failure)',
  ECONNREFUSED: 'the server refused the connection',
  ECONNRESET: 'the server closed the connection',
  EPIPE: 'the server closed the connection',
  UND_ERR_SOCKET: 'the server closed the connection',
  ETIMEDOUT: 'connecting to the server timed out',
  UND_ERR_CONNECT_TIMEOUT: 'connecting to the server timed out',
  UND_ERR_HEADERS_TIMEOUT: 'the server did not answer in time',
  UND_ERR_BODY_TIMEOUT: 'the server stopped sending data',
  EHOSTUNREACH: 'the server is unreachable',
  ENETUNREACH: 'the server is unreachable',
  UND_ERR_RES_CONTENT_LENGTH_MISMATCH: 'the response was shorter or longer than its Content-Length',
};

/** TLS failures will not fix themselves on retry: the certificate is what it is. */
const TLS_CODE = /^(CERT_|ERR_TLS_|ERR_SSL_|UNABLE_TO_|DEPTH_ZERO_|SELF_SIGNED_)/;

export function networkError(error: unknown): CodedError {
  const code = errorCode(error);
  if (code !== undefined && TLS_CODE.test(code)) {
    return new CodedError('media_fetch_failed', 'The media URL could not be fetched: its TLS certificate was not accepted', false);
  }
  const reason = (code !== undefined ? SENTENCES[code] : undefined) ?? 'a network error occurred';
  // A name that does not exist (NXDOMAIN) will not appear on retry; EAI_AGAIN and the rest may pass.
  return new CodedError('media_fetch_failed', `The media URL could not be fetched: ${reason}`, code !== 'ENOTFOUND');
}

export function timeoutError(deadlineMs: number): CodedError {
  const seconds = Math.round(deadlineMs / 100) / 10;
  return new CodedError('media_fetch_timeout', `The media download did not finish within ${seconds} s`, true);
}

/** undici wraps socket errors; the errno code can sit a few `cause`s deep. */
function errorCode(error: unknown): string | undefined {
  let wrapperCode: string | undefined;
  let current: unknown = error;
  for (let depth = 0; depth < 5 && current instanceof Error; depth++) {
    const code: unknown = (current as NodeJS.ErrnoException).code;
    if (typeof code === 'string') {
      // An errno (ECONNRESET) says more than undici's wrapper code (UND_ERR_SOCKET).
      if (!code.startsWith('UND_ERR_')) return code;
      wrapperCode ??= code;
    }
    current = current.cause;
  }
  return wrapperCode;
}
