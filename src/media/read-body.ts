import type { Readable } from 'node:stream';
import { CodedError } from '../domain/errors.js';
import { formatBytes, sizeComparison } from './format-size.js';

/**
 * Reads a response body into one Buffer, refusing it as soon as it grows past
 * `maxBytes`. Content-Length is only used to fail early: servers lie, and a
 * chunked or endless body has none. At most maxBytes plus one chunk is held.
 */
export async function readCappedBody(body: Readable, maxBytes: number, contentLength: string | string[] | undefined): Promise<Buffer> {
  const declared = typeof contentLength === 'string' ? Number(contentLength) : Number.NaN;
  if (Number.isSafeInteger(declared) && declared > maxBytes) {
    discardBody(body);
    throw tooLarge(sizeComparison('The media', declared, maxBytes));
  }
  const chunks: Buffer[] = [];
  let total = 0;
  try {
    for await (const chunk of body as AsyncIterable<Buffer>) {
      total += chunk.length;
      if (total > maxBytes) {
        throw tooLarge(`The media is larger than the limit of ${formatBytes(maxBytes)}`);
      }
      chunks.push(chunk);
    }
  } finally {
    // Leaving the loop early (cap, abort, error) must release the socket now, not at GC.
    discardBody(body);
  }
  return Buffer.concat(chunks, total);
}

/** Releases a body we will not read. */
export function discardBody(body: Readable): void {
  // undici reports a body destroyed before its end as an 'error' event; here that
  // is the intended outcome, and without a listener it would crash the process.
  body.on('error', ignore);
  if (!body.destroyed) body.destroy();
}

function ignore(): void {}

function tooLarge(message: string): CodedError {
  return new CodedError('media_too_large', message);
}
