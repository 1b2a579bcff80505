/**
 * What happens before a route runs keeps the error shape too: URLs the router
 * refuses, requests Node's HTTP parser cannot read (malformed lines, headers
 * too large, timeouts), non-JSON bodies, and `Expect: 100-continue` (answered
 * only once the request has passed its route's authentication).
 */
import type { Socket } from 'node:net';
import type { FastifyError, FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { ApiError } from '../domain/errors.js';
import { sendError } from './error-handler.js';

/** Fastify's `frameworkErrors`: router failures, never echoing the URL. */
export function frameworkErrors(err: FastifyError, _request: FastifyRequest, reply: FastifyReply): void {
  switch (err.code) {
    case 'FST_ERR_MAX_PARAM_LENGTH':
      void sendError(reply, new ApiError(414, 'uri_too_long', 'A path parameter of the URL is too long'));
      return;
    case 'FST_ERR_BAD_URL':
      void sendError(reply, new ApiError(400, 'bad_url', 'The URL is not valid (bad percent-encoding?)'));
      return;
    default:
      void sendError(reply, new ApiError(500, 'internal_error', 'Something went wrong on our side. The error was logged; please try again.'));
  }
}

const CLIENT_ERRORS: Readonly<Record<string, [number, string, string]>> = {
  HPE_HEADER_OVERFLOW: [431, 'headers_too_large', 'The request headers are too large'],
  ERR_HTTP_REQUEST_TIMEOUT: [408, 'request_timeout', 'The request was not received in time'],
  ERR_HTTP_HEADERS_TIMEOUT: [408, 'request_timeout', 'The request headers were not received in time'],
};

/** Fastify's `clientErrorHandler`: a request Node could not parse gets the error shape, and the connection closes. */
export function clientErrorHandler(err: NodeJS.ErrnoException, socket: Socket): void {
  if (!socket.writable) {
    socket.destroy();
    return;
  }
  const [status, code, message] = CLIENT_ERRORS[err.code ?? ''] ?? [400, 'bad_request', 'The request is not valid HTTP'];
  const body = JSON.stringify({ error: { code, message } });
  const reason = status === 400 ? 'Bad Request' : status === 408 ? 'Request Timeout' : 'Request Header Fields Too Large';
  socket.end(
    `HTTP/1.1 ${status} ${reason}\r\nContent-Type: application/json; charset=utf-8\r\nContent-Length: ${Buffer.byteLength(body)}\r\nConnection: close\r\n\r\n${body}`,
  );
}

/** JSON only (`415` for the rest), and `100 Continue` only after the route's onRequest hooks (authentication) passed. */
export function registerRequestGuards(app: FastifyInstance): void {
  app.removeContentTypeParser('text/plain');
  app.server.on('checkContinue', (req, res) => {
    app.server.emit('request', req, res);
  });
  app.addHook('preParsing', async (request, reply) => {
    if (request.headers.expect?.toLowerCase() === '100-continue') reply.raw.writeContinue();
  });
}
