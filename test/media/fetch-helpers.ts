import { afterEach } from 'vitest';
import { CodedError } from '../../src/domain/errors.js';
import { fetchMedia, type FetchMediaOptions, type MediaLookup } from '../../src/media/safe-fetch.js';
import { startFixture, type Fixture, type Handler } from './http-fixture.js';

/** Shared setup for the fetchMedia tests: servers closed after each test, a fake DNS, option presets. */
export const MB = 1024 * 1024;
const fixtures: Fixture[] = [];

export async function serve(handler: Handler, host = '127.0.0.1'): Promise<Fixture> {
  const fixture = await startFixture(handler, host);
  fixtures.push(fixture);
  return fixture;
}

/** Call at the top level of a test file. */
export function closeServersAfterEach(): void {
  afterEach(async () => {
    await Promise.all(fixtures.splice(0).map((f) => f.close()));
  });
}

export const open: FetchMediaOptions = { maxBytes: MB, deadlineMs: 5000, allowPrivateNetworks: true };
export const guarded: FetchMediaOptions = { maxBytes: MB, deadlineMs: 5000, allowPrivateNetworks: false };

/** A fake DNS: names map to fixed records, anything else is NXDOMAIN. */
export function fakeDns(records: Record<string, string[]>): MediaLookup {
  return async (hostname) => {
    const addresses = records[hostname];
    if (addresses === undefined) throw Object.assign(new Error(`getaddrinfo ENOTFOUND ${hostname}`), { code: 'ENOTFOUND' });
    return addresses.map((address) => ({ address, family: address.includes(':') ? 6 : 4 }));
  };
}

export async function failure(url: string, opts: FetchMediaOptions): Promise<CodedError> {
  const error: unknown = await fetchMedia(url, opts).then(
    () => new Error('expected the fetch to fail'),
    (e: unknown) => e,
  );
  if (!(error instanceof CodedError)) throw error;
  return error;
}

export const ok: Handler = (_req, res) => {
  res.writeHead(200, { 'content-type': 'image/png' });
  res.end('hello');
};
