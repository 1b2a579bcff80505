/**
 * The JSON body parser: Fastify's own (with its prototype-poisoning guards),
 * behind a nesting limit checked on the raw text first. Deeply nested values
 * cost recursion wherever they are walked later (hashing, logging,
 * validation) and no request of this API needs more than a few levels.
 */
import type { FastifyInstance } from 'fastify';
import { ApiError } from '../domain/errors.js';

export const MAX_JSON_DEPTH = 32;

/**
 * Whether JSON text nests arrays and objects deeper than `max`. Linear, and
 * fast on large bodies: a string (a base64 file, say) is skipped in one
 * search for its closing quote.
 */
export function nestsDeeperThan(text: string, max: number): boolean {
  let depth = 0;
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (c === 0x22) {
      // Jump to the closing quote: one not preceded by an odd number of backslashes.
      let end = text.indexOf('"', i + 1);
      while (end !== -1) {
        let slashes = 0;
        while (text.charCodeAt(end - 1 - slashes) === 0x5c) slashes++;
        if (slashes % 2 === 0) break;
        end = text.indexOf('"', end + 1);
      }
      if (end === -1) return false; // unterminated: the parser reports it
      i = end;
    } else if (c === 0x7b || c === 0x5b) {
      if (++depth > max) return true;
    } else if (c === 0x7d || c === 0x5d) {
      depth--;
    }
  }
  return false;
}

export function registerJsonBody(app: FastifyInstance, maxDepth = MAX_JSON_DEPTH): void {
  const parse = app.getDefaultJsonParser('error', 'error');
  app.removeContentTypeParser('application/json');
  app.addContentTypeParser('application/json', { parseAs: 'string' }, (request, body, done) => {
    const text = typeof body === 'string' ? body : body.toString('utf8');
    if (nestsDeeperThan(text, maxDepth)) {
      done(new ApiError(400, 'invalid_body', `The JSON body nests deeper than ${maxDepth} levels`), undefined);
      return;
    }
    parse(request, text, done);
  });
}
