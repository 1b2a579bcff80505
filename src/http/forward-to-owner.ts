/**
 * Calls that need an instance's live socket (its state and QR, pairing,
 * logout, restart, contact lookups, inbound media) are answered by the node
 * that holds the instance's lease. Any other node passes the request on to
 * the owner's CONNEXA_NODE_URL as it came (method, path, body, credentials)
 * and hands its answer back unchanged, so every node gives the same answer.
 * A request is passed on once: the node it reaches answers it or says the
 * instance is moving (503, retry shortly).
 */
import type { FastifyReply, FastifyRequest } from 'fastify';
import { request as httpRequest } from 'undici';
import { ApiError } from '../domain/errors.js';
import type { OwnerDirectory } from '../domain/ownership.js';

const FORWARDED_BY = 'x-connexa-forwarded-by';
const PASSED_ON = ['authorization', 'content-type', 'accept', 'user-agent', 'x-forwarded-for'];
const PASSED_BACK = ['content-type', 'retry-after', 'cache-control', 'content-disposition', 'x-content-type-options'];
const FORWARD_TIMEOUT_MS = 60_000;

function moving(why: string): ApiError {
  return new ApiError(503, 'instance_moving', why, undefined, { 'Retry-After': '2' });
}

/**
 * A preHandler for routes that need the live socket: passes the request to
 * the owner when it is another node. `instanceOf` names the instance (from the
 * credentials, or the path of an admin route).
 */
export function forwardToOwner(
  directory: OwnerDirectory,
  instanceOf: (request: FastifyRequest) => string | undefined,
  /** When no node holds the instance: answer here (nothing live to reach), or ask the client to retry. */
  unheld: 'here' | 'retry' = 'retry',
) {
  return async (request: FastifyRequest, reply: FastifyReply): Promise<FastifyReply | undefined> => {
    const instanceId = instanceOf(request);
    if (instanceId === undefined) return undefined;
    const owner = await directory.locate(instanceId);
    if (owner.kind === 'here' || (owner.kind === 'nobody' && unheld === 'here')) return undefined;
    if (request.headers[FORWARDED_BY] !== undefined) throw moving('The instance is moving between nodes; retry in a moment');
    if (owner.kind === 'nobody') throw moving('No node holds this instance right now (it is being taken over); retry in a moment');
    if (owner.url === null) {
      throw moving(`The instance runs on node ${owner.nodeId}, which does not advertise CONNEXA_NODE_URL; set it on every node`);
    }
    const headers: Record<string, string> = { [FORWARDED_BY]: directory.nodeId };
    for (const name of PASSED_ON) {
      const value = request.headers[name];
      if (typeof value === 'string') headers[name] = value;
    }
    const body = request.body === undefined || request.body === null ? undefined : JSON.stringify(request.body);
    if (body !== undefined) headers['content-type'] = 'application/json';
    let answer;
    try {
      answer = await httpRequest(`${owner.url}${request.url}`, {
        method: request.method as 'GET' | 'POST' | 'DELETE',
        headers,
        ...(body !== undefined ? { body } : {}),
        headersTimeout: FORWARD_TIMEOUT_MS,
        bodyTimeout: FORWARD_TIMEOUT_MS,
      });
    } catch {
      throw moving(`The instance's node ${owner.nodeId} did not answer; retry in a moment`);
    }
    reply.code(answer.statusCode);
    for (const name of PASSED_BACK) {
      const value = answer.headers[name];
      if (typeof value === 'string') reply.header(name, value);
    }
    return reply.send(answer.body);
  };
}
