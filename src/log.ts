/**
 * The logger. Secrets never reach it: request logs carry method, URL, status
 * and timing only (no headers, no bodies), and known secret-bearing keys are
 * redacted as a second line of defence.
 */
import pino, { type Logger } from 'pino';
import type { LogLevel } from './config.js';

export const REDACT_PATHS = [
  'req.headers.authorization',
  'headers.authorization',
  'authorization',
  'password',
  'token',
  'instance_token',
  'admin_token',
  'base64',
  'data.base64',
  'body',
];

export function createLogger(level: LogLevel, destination?: pino.DestinationStream): Logger {
  return pino({ level, redact: { paths: REDACT_PATHS, censor: '[redacted]' }, base: { service: 'connexa' } }, destination);
}
