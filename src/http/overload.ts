/**
 * Load shedding for sends. When the process is overloaded (the event loop
 * lags, or accept commits have become slow or backed up) new sends are
 * refused with 503 and Retry-After before any work is done, so the requests
 * already accepted finish and the backlog drains. Registered only around the
 * send routes: status reads, health checks and metrics keep answering.
 */
import underPressure from '@fastify/under-pressure';
import type { FastifyInstance } from 'fastify';
import { ApiError } from '../domain/errors.js';
import type { AcceptStats } from '../dispatch/acceptor.js';

export interface OverloadOptions {
  /** Mean event-loop delay over a sample that counts as overload, ms; 0: not checked. */
  maxEventLoopDelayMs: number;
  /** An accept commit slower than this (in the last few seconds) counts as overload, ms; 0: not checked. */
  maxCommitMs: number;
  /** Sends waiting for their commit beyond this count as overload. */
  maxPendingAccepts: number;
  sampleMs: number;
  retryAfterS: number;
}

/** A slow commit keeps the database counted as slow for this many samples. */
const SLOW_COMMIT_SAMPLES = 5;

export function databaseHealthy(stats: AcceptStats, options: OverloadOptions): boolean {
  if (stats.pending > options.maxPendingAccepts) return false;
  return options.maxCommitMs === 0 || stats.slowestCommitMs <= options.maxCommitMs;
}

export async function registerOverloadGuard(scope: FastifyInstance, options: OverloadOptions, acceptStats: (windowMs: number) => AcceptStats): Promise<void> {
  await scope.register(underPressure, {
    maxEventLoopDelay: options.maxEventLoopDelayMs,
    sampleInterval: options.sampleMs,
    healthCheck: async () => databaseHealthy(acceptStats(SLOW_COMMIT_SAMPLES * options.sampleMs), options),
    healthCheckInterval: options.sampleMs,
    pressureHandler: (_request, _reply, type) =>
      Promise.reject(
        new ApiError(
          503,
          'overloaded',
          type === 'healthCheck'
            ? 'The gateway cannot store messages fast enough right now; retry shortly'
            : 'The gateway is overloaded right now; retry shortly',
          undefined,
          { 'Retry-After': String(options.retryAfterS) },
        ),
      ),
  });
}
