import { describe, expect, it } from 'vitest';
import { fetchMedia } from '../../src/media/safe-fetch.js';
import type { Fixture } from './http-fixture.js';
import { closeServersAfterEach, failure, fakeDns, guarded, ok, serve } from './fetch-helpers.js';

closeServersAfterEach();

describe('fetchMedia refuses private addresses without connecting', () => {
  it.each(['127.0.0.1', '[::ffff:127.0.0.1]', '2130706433', '0x7f.1'])('literal %s', async (host) => {
    const server = await serve(ok);
    const error = await failure(`http://${host}:${server.port}/a.png`, guarded);
    expect(error.code).toBe('media_url_blocked');
    expect(error.transient).toBe(false);
    expect(server.connections).toBe(0);
  });

  it('a host name that resolves to a private address', async () => {
    const server = await serve(ok);
    const lookup = fakeDns({ 'internal.test': ['127.0.0.1'] });
    const error = await failure(`http://internal.test:${server.port}/`, { ...guarded, lookup });
    expect(error.code).toBe('media_url_blocked');
    expect(error.message).not.toContain('127.0.0.1');
    expect(server.connections).toBe(0);
  });

  it('a host name with one private record among public ones', async () => {
    const server = await serve(ok);
    const lookup = fakeDns({ 'mixed.test': ['8.8.8.8', '127.0.0.1'] });
    expect((await failure(`http://mixed.test:${server.port}/`, { ...guarded, lookup })).code).toBe('media_url_blocked');
    expect(server.connections).toBe(0);
  });

  describe('on a redirect hop', () => {
    // The policy admits 127.0.0.1 as if it were public, so the first hop can reach
    // a local server while 127.0.0.2 stands in for an internal host.
    const onlyFirst = (ip: string): boolean => ip === '127.0.0.1';

    async function redirectingTo(target: (internal: Fixture) => string) {
      const internal = await serve(ok, '127.0.0.2');
      const front = await serve((req, res) => {
        if (req.url === '/final') return ok(req, res);
        res.writeHead(302, { location: target(internal) });
        res.end();
      });
      const lookup = fakeDns({ 'public.test': ['127.0.0.1'], 'rebind.test': ['127.0.0.2'] });
      const opts = { ...guarded, lookup, isAllowedAddress: onlyFirst };
      return { internal, front, url: `http://public.test:${front.port}/start`, opts };
    }

    it('follows an allowed redirect (control)', async () => {
      const { front, url, opts } = await redirectingTo(() => '/final');
      const out = await fetchMedia(url, opts);
      expect(out.bytes.toString()).toBe('hello');
      expect(out.finalUrl).toBe(`http://public.test:${front.port}/final`);
    });

    it('to a private literal', async () => {
      const { internal, front, url, opts } = await redirectingTo((i) => `http://127.0.0.2:${i.port}/`);
      expect((await failure(url, opts)).code).toBe('media_url_blocked');
      expect(front.connections).toBe(1);
      expect(internal.connections).toBe(0);
    });

    it('to a name resolving to a private address', async () => {
      const { internal, url, opts } = await redirectingTo((i) => `http://rebind.test:${i.port}/`);
      expect((await failure(url, opts)).code).toBe('media_url_blocked');
      expect(internal.connections).toBe(0);
    });

    it('to a non-http scheme', async () => {
      const { url, opts } = await redirectingTo(() => 'file:///etc/passwd');
      expect((await failure(url, opts)).code).toBe('invalid_url');
    });
  });
});
