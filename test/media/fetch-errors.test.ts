/**
 * Network failures of a media download as a client reads them: a sentence
 * from the error code (never Node's message, which names internal addresses),
 * the code found however deep undici wrapped it, TLS failures permanent.
 */
import { describe, expect, it } from 'vitest';
import { networkError, timeoutError } from '../../src/media/fetch-errors.js';

const coded = (code: string | undefined, cause?: unknown): Error =>
  Object.assign(new Error(`connect ${code ?? ''} 10.0.0.5:80`, { cause }), code === undefined ? {} : { code });

describe('networkError', () => {
  it('a refused connection: the sentence, retried, no address', () => {
    const e = networkError(coded('ECONNREFUSED'));
    expect(e).toMatchObject({ code: 'media_fetch_failed', transient: true, message: 'The media URL could not be fetched: the server refused the connection' });
    expect(e.message).not.toContain('10.0.0.5');
  });

  it('NXDOMAIN is permanent; a temporary DNS failure is not', () => {
    expect(networkError(coded('ENOTFOUND')).transient).toBe(false);
    expect(networkError(coded('EAI_AGAIN')).transient).toBe(true);
  });

  it.each([
    'CERT_HAS_EXPIRED',
    'ERR_TLS_CERT_ALTNAME_INVALID',
    'UNABLE_TO_VERIFY_LEAF_SIGNATURE',
    'DEPTH_ZERO_SELF_SIGNED_CERT',
    'SELF_SIGNED_CERT_IN_CHAIN',
    'ERR_SSL_WRONG_VERSION_NUMBER',
  ])('a TLS failure (%s) is permanent', (code) => {
    expect(networkError(coded(code))).toMatchObject({ transient: false, message: expect.stringMatching(/TLS certificate/) });
  });

  it("the errno under undici's wrapper says more than the wrapper", () => {
    const wrapped = coded('UND_ERR_SOCKET', coded(undefined, coded('ECONNRESET')));
    expect(networkError(wrapped).message).toBe('The media URL could not be fetched: the server closed the connection');
    const tls = coded('UND_ERR_SOCKET', coded('CERT_HAS_EXPIRED'));
    expect(networkError(tls).transient).toBe(false);
  });

  it('only the wrapper code: its own sentence; nothing known: a generic one, retried', () => {
    expect(networkError(coded('UND_ERR_HEADERS_TIMEOUT', coded('UND_ERR_SOCKET'))).message).toBe(
      'The media URL could not be fetched: the server did not answer in time',
    );
    expect(networkError(coded('EWHATEVER'))).toMatchObject({ transient: true, message: 'The media URL could not be fetched: a network error occurred' });
    expect(networkError('not an error')).toMatchObject({ transient: true, message: 'The media URL could not be fetched: a network error occurred' });
  });

  it('a code deeper than five causes is not looked for', () => {
    let deep: unknown = coded('ECONNREFUSED');
    for (let i = 0; i < 5; i++) deep = coded(undefined, deep);
    expect(networkError(deep).message).toBe('The media URL could not be fetched: a network error occurred');
  });
});

describe('timeoutError', () => {
  it('says the deadline in seconds, to a tenth', () => {
    expect(timeoutError(30_000)).toMatchObject({ code: 'media_fetch_timeout', transient: true, message: 'The media download did not finish within 30 s' });
    expect(timeoutError(1_250).message).toBe('The media download did not finish within 1.3 s');
  });
});
