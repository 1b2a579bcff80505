/**
 * The JSON body of a media send, read as it arrives: `data.base64` goes
 * straight into the strict decoder and two SHA-256s (of the text, which the
 * idempotency key binds; of the file), piece by piece, and is never one
 * string. Each piece of the socket is handled at once, so a 30 MB upload
 * never holds the event loop for long, and only the decoded file is kept in
 * memory. Other routes keep Fastify's parser.
 */
import { createHash } from 'node:crypto';
import type { Readable } from 'node:stream';
import { StringDecoder } from 'node:string_decoder';
import type { FastifyInstance, FastifyRequest } from 'fastify';
import { ApiError, CodedError, fieldError } from '../domain/errors.js';
import { StrictBase64Decoder } from '../media/base64.js';
import { MAX_JSON_DEPTH } from './json-body.js';
import { JsonStream, type StringSink } from './json-stream.js';
import type { StreamedBase64 } from '../accept/validate-send.js';

declare module 'fastify' {
  interface FastifyRequest {
    /** A media send's `data.base64`, decoded while its body arrived (its place in the body holds ''). */
    streamedBase64: StreamedBase64 | null;
  }
}

/** The decoded file's limit for this request (its message type's). */
export type MediaLimitOf = (request: FastifyRequest) => number | undefined;

function toFieldError(err: unknown): unknown {
  return err instanceof CodedError ? fieldError('data.base64', err.code, err.message) : err;
}

class Base64Sink implements StringSink {
  private readonly decoder: StrictBase64Decoder;
  private readonly text;
  private readonly file = createHash('sha256');

  constructor(
    maxBytes: number,
    sizeHint: number | undefined,
    hashText: boolean,
    private readonly done: (result: StreamedBase64) => void,
  ) {
    this.text = hashText ? createHash('sha256') : undefined;
    this.decoder = new StrictBase64Decoder(maxBytes, (bytes) => this.file.update(bytes), sizeHint);
  }

  push(piece: string): void {
    this.text?.update(piece);
    try {
      this.decoder.push(piece);
    } catch (err) {
      throw toFieldError(err);
    }
  }

  end(): unknown {
    try {
      const { bytes, declaredMime } = this.decoder.end();
      this.done({ bytes, declaredMime, sha256: this.file.digest('hex'), textDigest: this.text?.digest('base64url') });
    } catch (err) {
      throw toFieldError(err);
    }
    return '';
  }
}

/**
 * Reads `payload` through the JSON stream, bounded by the route's body limit;
 * with `maxBytes` (a media send) `data.base64` is decoded on the way.
 */
function readBody(request: FastifyRequest, payload: Readable, maxBytes: number | undefined): Promise<unknown> {
  const limit = request.routeOptions.bodyLimit ?? Number.POSITIVE_INFINITY;
  const tooLarge = () => new ApiError(413, 'payload_too_large', 'The request body is larger than this endpoint accepts');
  // Refused on its declared length before a byte of it is read.
  if (Number(request.headers['content-length'] ?? 0) > limit) return Promise.reject(tooLarge());
  let sinks = 0;
  // A text send keeps data.base64 (ignored) as a plain string: its sink path is never met.
  const json = new JsonStream(
    maxBytes === undefined ? ['', 'no-sink'] : ['data'],
    'base64',
    () => {
      if (++sinks > 1) throw new ApiError(400, 'invalid_body', 'data.base64 is given twice');
      // The body's length bounds the file's: three bytes for every four characters.
      const length = Number(request.headers['content-length']);
      const hint = Number.isFinite(length) && length > 0 ? Math.ceil(length / 4) * 3 : undefined;
      return new Base64Sink(maxBytes ?? 0, hint, request.headers['idempotency-key'] !== undefined, (result) => {
        request.streamedBase64 = result;
      });
    },
    MAX_JSON_DEPTH,
  );
  const text = new StringDecoder('utf8');
  let received = 0;
  let settled = false;
  return new Promise((resolve, reject) => {
    const fail = (err: unknown): void => {
      if (settled) return;
      settled = true;
      payload.off('data', onData);
      payload.resume();
      reject(err);
    };
    const onData = (chunk: Buffer): void => {
      received += chunk.length;
      if (received > limit) {
        fail(tooLarge());
        return;
      }
      try {
        json.write(text.write(chunk));
      } catch (err) {
        fail(err);
      }
    };
    payload.on('data', onData);
    payload.once('error', fail);
    // Built only when needed: an error captures a stack trace, and every request's body closes.
    payload.once('close', () => {
      if (!settled) fail(new ApiError(400, 'bad_request', 'The request body ended before it was complete'));
    });
    payload.once('end', () => {
      if (settled) return;
      try {
        json.write(text.end());
        const body = json.end();
        settled = true;
        resolve(body);
      } catch (err) {
        fail(err);
      }
    });
  });
}

/** The JSON parser of this scope (the send routes): streaming, media decoded on the way. */
export function registerMediaBody(scope: FastifyInstance, limitOf: MediaLimitOf): void {
  scope.decorateRequest('streamedBase64', null);
  scope.removeContentTypeParser('application/json');
  scope.addContentTypeParser('application/json', (request: FastifyRequest, payload: Readable) => readBody(request, payload, limitOf(request)));
}
