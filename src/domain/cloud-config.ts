/**
 * The settings of a `cloud` instance (Meta's WhatsApp Cloud API), given in
 * `config` when it is created and replaced field by field with `PATCH`:
 * the phone number id, the access token, the app secret that signs Meta's
 * webhooks, the verify token of the webhook handshake, and optionally the
 * Graph URL and version (Meta's by default; tests and proxies point
 * elsewhere) and the number's throughput in messages per second.
 */
import { fieldError } from './errors.js';

export interface CloudSettings {
  phoneNumberId: string;
  accessToken: string;
  appSecret: string;
  verifyToken: string;
  graphUrl: string;
  graphVersion: string;
  /** Messages per second the number may send (Meta's default tier: 80). */
  throughput: number;
}

export const CLOUD_DEFAULTS = { graphUrl: 'https://graph.facebook.com', graphVersion: 'v25.0', throughput: 80 } as const;

const FIELDS = {
  phone_number_id: 'phoneNumberId',
  access_token: 'accessToken',
  app_secret: 'appSecret',
  verify_token: 'verifyToken',
  graph_url: 'graphUrl',
  graph_version: 'graphVersion',
  throughput: 'throughput',
} as const satisfies Record<string, keyof CloudSettings>;
type Field = keyof typeof FIELDS;

const REQUIRED: readonly Field[] = ['phone_number_id', 'access_token', 'app_secret', 'verify_token'];

function secret(field: string, v: unknown, min: number): string {
  if (typeof v !== 'string' || v.length < min || v.length > 4096 || /[\s\u0000-\u001f\u007f]/.test(v))
    throw fieldError(field, 'invalid_config', `${field} must be a string of ${min} to 4096 characters without spaces`);
  return v;
}

function graphUrl(field: string, v: unknown): string {
  let url: URL | undefined;
  try {
    url = typeof v === 'string' ? new URL(v) : undefined;
  } catch {
    url = undefined;
  }
  if (url === undefined || !['http:', 'https:'].includes(url.protocol) || url.username !== '' || url.password !== '' || url.search !== '' || url.hash !== '')
    throw fieldError(field, 'invalid_config', `${field} must be an http(s) URL without credentials or query, e.g. ${CLOUD_DEFAULTS.graphUrl}`);
  return url.toString().replace(/\/+$/, '');
}

function value(key: Field, v: unknown): string | number {
  const field = `config.${key}`;
  switch (key) {
    case 'phone_number_id':
      if (typeof v !== 'string' || !/^\d{1,30}$/.test(v))
        throw fieldError(field, 'invalid_config', `${field} must be the number's id from Meta (digits, as a string)`);
      return v;
    case 'access_token':
      return secret(field, v, 20);
    case 'app_secret':
    case 'verify_token':
      return secret(field, v, 8);
    case 'graph_url':
      return graphUrl(field, v);
    case 'graph_version':
      if (typeof v !== 'string' || !/^v\d{1,3}\.\d{1,2}$/.test(v))
        throw fieldError(field, 'invalid_config', `${field} must look like ${CLOUD_DEFAULTS.graphVersion}`);
      return v;
    case 'throughput':
      if (typeof v !== 'number' || !Number.isInteger(v) || v < 1 || v > 1000)
        throw fieldError(field, 'invalid_config', `${field} must be a whole number of messages per second from 1 to 1000`);
      return v;
  }
}

/** The fields given (checked one by one); unknown fields are refused, so a typo never passes silently. */
export function parseCloudFields(input: unknown): Partial<CloudSettings> {
  if (typeof input !== 'object' || input === null || Array.isArray(input)) throw fieldError('config', 'invalid_config', 'config must be an object');
  const out: Partial<Record<keyof CloudSettings, string | number>> = {};
  for (const [key, v] of Object.entries(input)) {
    if (!Object.hasOwn(FIELDS, key)) {
      throw fieldError(
        `config.${key.slice(0, 40)}`,
        'unknown_field',
        `A cloud instance takes ${Object.keys(FIELDS).join(', ')}; "${key.slice(0, 40)}" is not one of them`,
      );
    }
    out[FIELDS[key as Field]] = value(key as Field, v);
  }
  return out as Partial<CloudSettings>;
}

/** A new cloud instance's settings: the four Meta gives you are required, the rest have defaults. */
export function parseCloudConfig(input: unknown): CloudSettings {
  if (input === undefined || input === null) throw fieldError('config', 'config_required', `A cloud instance needs config: {${REQUIRED.join(', ')}}`);
  const given = parseCloudFields(input);
  for (const key of REQUIRED) {
    if (given[FIELDS[key]] === undefined) throw fieldError(`config.${key}`, 'config_required', `config.${key} is required for a cloud instance`);
  }
  return { ...CLOUD_DEFAULTS, ...given } as CloudSettings;
}
