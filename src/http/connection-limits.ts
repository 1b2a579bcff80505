/**
 * What one client may hold of the HTTP server: a connection that says nothing
 * for the idle timeout is closed (before its first request, between requests,
 * mid-request); a request must arrive whole within the request timeout, and
 * its body no slower than a minimum rate; connections are capped in all and
 * per client address (trusted proxies, which carry everybody, excepted). A
 * request refused before its body was read (401, 408, 413, 415, 429) closes its
 * connection instead of draining what the client keeps sending.
 */
import type { Server } from 'node:http';
import type { Socket } from 'node:net';
import { Transform, type TransformCallback } from 'node:stream';
import type { FastifyInstance } from 'fastify';
import ipaddr from 'ipaddr.js';
import { ApiError } from '../domain/errors.js';
import { clientKey } from './auth-failures.js';

export interface ConnectionLimits {
  idleTimeoutMs: number;
  requestTimeoutMs: number;
  minBodyBytesPerSecond: number;
  maxConnections: number;
  maxConnectionsPerAddress: number;
}

/** A body is judged on its rate only after this long (a slow start is normal). */
const BODY_RATE_GRACE_MS = 5_000;

/** Fastify's server options for the timeouts. */
export function serverTimeouts(l: ConnectionLimits) {
  return {
    connectionTimeout: l.idleTimeoutMs,
    keepAliveTimeout: l.idleTimeoutMs,
    requestTimeout: l.requestTimeoutMs,
    // Node checks request and header deadlines this often.
    http: { connectionsCheckingInterval: Math.min(30_000, Math.max(100, Math.floor(Math.min(l.idleTimeoutMs, l.requestTimeoutMs) / 4))) },
  };
}

/** Caps open connections, in all and per client address. */
export function capConnections(server: Server, l: ConnectionLimits, trustedProxies: string[]): void {
  server.maxConnections = l.maxConnections;
  const trusted = addressMatcher(trustedProxies);
  const open = new Map<string, number>();
  server.on('connection', (socket: Socket) => {
    const address = socket.remoteAddress ?? '';
    if (trusted(address)) return;
    const key = clientKey(address);
    const count = (open.get(key) ?? 0) + 1;
    if (count > l.maxConnectionsPerAddress) {
      socket.destroy();
      return;
    }
    open.set(key, count);
    socket.once('close', () => {
      const left = (open.get(key) ?? 1) - 1;
      if (left <= 0) open.delete(key);
      else open.set(key, left);
    });
  });
}

/** Whether an address is one of `entries` (addresses or CIDRs; IPv4-mapped IPv6 counts as IPv4). */
export function addressMatcher(entries: string[]): (address: string) => boolean {
  const ranges = entries.map((e) =>
    e.includes('/') ? ipaddr.parseCIDR(e) : ((ip) => [ip, ip.kind() === 'ipv4' ? 32 : 128] as [ipaddr.IPv4 | ipaddr.IPv6, number])(ipaddr.parse(e)),
  );
  return (address) => {
    let ip: ipaddr.IPv4 | ipaddr.IPv6;
    try {
      ip = ipaddr.process(address);
    } catch {
      return false;
    }
    return ranges.some(([base, bits]) => base.kind() === ip.kind() && ip.match(base, bits));
  };
}

/** Passes a body through, cutting it off with 408 once it arrives slower than the minimum rate. */
class RateFloor extends Transform {
  private bytes = 0;
  private readonly started = Date.now();
  private readonly timer: NodeJS.Timeout;

  constructor(minBytesPerSecond: number) {
    super();
    this.timer = setInterval(() => {
      const elapsed = Date.now() - this.started;
      if (elapsed >= BODY_RATE_GRACE_MS && (this.bytes * 1000) / elapsed < minBytesPerSecond) {
        this.destroy(new ApiError(408, 'request_timeout', `The request body arrived slower than ${minBytesPerSecond} bytes per second`));
      }
    }, 1_000);
    this.timer.unref();
  }

  override _transform(chunk: Buffer, _encoding: BufferEncoding, done: TransformCallback): void {
    this.bytes += chunk.length;
    done(null, chunk);
  }

  override _flush(done: TransformCallback): void {
    clearInterval(this.timer);
    done();
  }

  override _destroy(err: Error | null, done: (error?: Error | null) => void): void {
    clearInterval(this.timer);
    done(err);
  }
}

const REFUSED_EARLY = new Set([401, 408, 413, 415, 429]);

export function registerBodyLimits(app: FastifyInstance, l: ConnectionLimits): void {
  if (l.minBodyBytesPerSecond > 0) {
    app.addHook('preParsing', async (request, _reply, payload) => {
      const length = Number(request.headers['content-length'] ?? 0);
      // Small bodies arrive in one go; only ones that take time are watched.
      if (!(length > l.minBodyBytesPerSecond) && request.headers['transfer-encoding'] === undefined) return payload;
      return payload.pipe(new RateFloor(l.minBodyBytesPerSecond));
    });
  }
  app.addHook('onSend', async (request, reply, payload) => {
    if (REFUSED_EARLY.has(reply.statusCode) && !request.raw.complete) void reply.header('connection', 'close');
    return payload;
  });
}
