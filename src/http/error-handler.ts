/**
 * One place maps every failure to the contract's error shape
 * `{"error": {code, message, details?}}`. ApiErrors pass through; Fastify's own
 * 4xx (body too large, not JSON, schema) get stable codes; anything else is a
 * 500 whose body says nothing internal (the details go to the log).
 */
import type { FastifyError, FastifyReply, FastifyRequest } from 'fastify';
import { ApiError, type ErrorDetail } from '../domain/errors.js';

export interface ErrorBody {
  error: { code: string; message: string; details?: ErrorDetail[] };
}

function fieldPath(instancePath: string, missing: unknown, context: string): string {
  const parts = instancePath.split('/').filter((p) => p !== '');
  if (typeof missing === 'string') parts.push(missing);
  const path = parts.join('.');
  return path === '' ? context : path;
}

function fromValidation(err: FastifyError): ApiError {
  const context = err.validationContext ?? 'body';
  const details: ErrorDetail[] = (err.validation ?? []).map((v) => {
    const field = fieldPath(v.instancePath, v.params['missingProperty'], context);
    if (v.keyword === 'required') return { field, code: 'required', message: `${field} is required` };
    if (v.keyword === 'type') return { field, code: 'invalid_type', message: `${field} must be ${String(v.params['type'])}` };
    return { field, code: 'invalid_value', message: `${field} ${v.message ?? 'is invalid'}` };
  });
  const first = details[0];
  const code = context === 'body' ? 'invalid_body' : `invalid_${context}`;
  return new ApiError(400, code, first?.message ?? `The request ${context} is invalid`, details);
}

export function toApiError(err: FastifyError | ApiError | Error): ApiError | undefined {
  if (err instanceof ApiError) return err;
  const fe = err as FastifyError;
  if (fe.validation !== undefined) return fromValidation(fe);
  switch (fe.code) {
    case 'FST_ERR_CTP_BODY_TOO_LARGE':
      return new ApiError(413, 'payload_too_large', 'The request body is larger than this endpoint accepts');
    case 'FST_ERR_CTP_INVALID_MEDIA_TYPE':
      return new ApiError(415, 'unsupported_content_type', 'Send the body as JSON with the header Content-Type: application/json');
    case 'FST_ERR_CTP_EMPTY_JSON_BODY':
      return new ApiError(400, 'invalid_json', 'The request body is empty; send a JSON object');
    case 'FST_ERR_CTP_INVALID_JSON_BODY':
    case 'FST_ERR_CTP_INVALID_CONTENT_LENGTH':
      return new ApiError(400, 'invalid_json', 'The request body is not valid JSON');
    default:
      break;
  }
  if (err instanceof SyntaxError && fe.statusCode === 400) {
    return new ApiError(400, 'invalid_json', 'The request body is not valid JSON');
  }
  if (typeof fe.statusCode === 'number' && fe.statusCode >= 400 && fe.statusCode < 500) {
    return new ApiError(fe.statusCode, 'bad_request', 'The request could not be processed');
  }
  return undefined;
}

export function sendError(reply: FastifyReply, e: ApiError): FastifyReply {
  if (e.headers !== undefined) void reply.headers(e.headers);
  const body: ErrorBody = { error: { code: e.code, message: e.message, ...(e.details !== undefined ? { details: e.details } : {}) } };
  return reply.code(e.status).send(body);
}

export function errorHandler(err: FastifyError | Error, request: FastifyRequest, reply: FastifyReply): FastifyReply {
  const mapped = toApiError(err);
  if (mapped !== undefined) {
    if (mapped.status >= 500) request.log.error({ err }, 'request failed');
    return sendError(reply, mapped);
  }
  request.log.error({ err }, 'unhandled error');
  return sendError(reply, new ApiError(500, 'internal_error', 'Something went wrong on our side. The error was logged; please try again.'));
}

export const errorSchema = {
  type: 'object',
  properties: {
    error: {
      type: 'object',
      properties: {
        code: { type: 'string' },
        message: { type: 'string' },
        details: {
          type: 'array',
          items: { type: 'object', properties: { field: { type: 'string' }, code: { type: 'string' }, message: { type: 'string' } } },
        },
      },
      required: ['code', 'message'],
    },
  },
  required: ['error'],
} as const;
