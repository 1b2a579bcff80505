import { describe, expect, it } from 'vitest';
import { fetchMedia, type MediaLookup } from '../../src/media/safe-fetch.js';
import { endless } from './http-fixture.js';
import { closeServersAfterEach, failure, fakeDns, guarded, MB, ok, open, serve } from './fetch-helpers.js';

closeServersAfterEach();

describe('fetchMedia downloads', () => {
  it('returns the body, content type and final URL, and closes its socket', async () => {
    const server = await serve(ok);
    const out = await fetchMedia(`${server.origin}/a.png`, open);
    expect(out).toEqual({ bytes: Buffer.from('hello'), contentType: 'image/png', finalUrl: `${server.origin}/a.png` });
    await server.waitForSocketsClosed(2000);
  });

  it('stops an endless body at the cap and closes the socket', async () => {
    const server = await serve((_req, res) => endless(res));
    const error = await failure(`${server.origin}/`, open);
    expect(error.code).toBe('media_too_large');
    expect(error.message).toBe('The media is larger than the limit of 1 MB');
    await server.waitForSocketsClosed(2000);
  });

  it('fails early on a Content-Length above the cap', async () => {
    const server = await serve((_req, res) => {
      res.writeHead(200, { 'content-length': String(100 * MB) });
      res.write('x'); // then nothing: waiting for the body would hit the deadline
    });
    const started = Date.now();
    const error = await failure(`${server.origin}/`, open);
    expect(error.code).toBe('media_too_large');
    expect(error.message).toBe('The media is 100 MB; the limit is 1 MB');
    expect(Date.now() - started).toBeLessThan(2000);
    await server.waitForSocketsClosed(2000);
  });

  it('does not trust a small Content-Length: a body cut short fails', async () => {
    const server = await serve((req, res) => {
      res.writeHead(200, { 'content-length': '1000' });
      res.write('only a few bytes');
      setTimeout(() => req.socket.destroy(), 50);
    });
    const error = await failure(`${server.origin}/`, open);
    expect(error.code).toBe('media_fetch_failed');
    expect(error.transient).toBe(true);
  });

  it('kills a drip feed at the deadline', async () => {
    const server = await serve((_req, res) => {
      res.writeHead(200);
      const timer = setInterval(() => res.write('x'), 200);
      res.on('close', () => clearInterval(timer));
    });
    const started = Date.now();
    const error = await failure(`${server.origin}/`, { ...open, deadlineMs: 1000 });
    const elapsed = Date.now() - started;
    expect(error.code).toBe('media_fetch_timeout');
    expect(error.transient).toBe(true);
    expect(elapsed).toBeGreaterThanOrEqual(900);
    expect(elapsed).toBeLessThan(2500);
    await server.waitForSocketsClosed(2000);
  });

  it('applies the deadline to DNS too', async () => {
    const never: MediaLookup = () => new Promise(() => undefined);
    const error = await failure('http://slow-dns.test/', { ...guarded, lookup: never, deadlineMs: 300 });
    expect(error.code).toBe('media_fetch_timeout');
  });

  it('rejects with the caller’s reason when the caller aborts', async () => {
    const server = await serve((_req, res) => res.writeHead(200).write('x'));
    const controller = new AbortController();
    const reason = new Error('shutting down');
    setTimeout(() => controller.abort(reason), 100);
    await expect(fetchMedia(`${server.origin}/`, { ...open, signal: controller.signal })).rejects.toBe(reason);
    await server.waitForSocketsClosed(2000);
  });
});

describe('fetchMedia reports failures', () => {
  it.each([
    [300, false],
    [404, false],
    [410, false],
    [429, true],
    [499, false],
    [500, true],
    [503, true],
  ])('HTTP %i (transient: %s)', async (status, transient) => {
    const server = await serve((_req, res) => res.writeHead(status).end('nope'));
    const error = await failure(`${server.origin}/`, open);
    expect(error.code).toBe('media_fetch_failed');
    expect(error.message).toBe(`The media URL answered HTTP ${status}`);
    expect(error.transient).toBe(transient);
  });

  it('a redirect loop after 5 redirects', async () => {
    let requests = 0;
    const server = await serve((_req, res) => {
      requests += 1;
      res.writeHead(302, { location: '/again' }).end();
    });
    const error = await failure(`${server.origin}/`, open);
    expect(error.code).toBe('media_fetch_failed');
    expect(error.message).toContain('too many redirects');
    expect(requests).toBe(6);
  });

  it.each([301, 302, 303, 307, 308])('a redirect (%i) without Location', async (status) => {
    const server = await serve((_req, res) => res.writeHead(status).end());
    const error = await failure(`${server.origin}/`, open);
    expect(error.code).toBe('media_fetch_failed');
    expect(error.message).toBe(`The media URL answered HTTP ${status} without a Location`);
    expect(error.transient).toBe(false);
  });

  it('every 2xx is a success, 299 included', async () => {
    const server = await serve((_req, res) => res.writeHead(299, { 'content-type': 'image/png' }).end('edge'));
    expect((await fetchMedia(`${server.origin}/`, open)).bytes.toString()).toBe('edge');
  });

  it.each(['file:///etc/passwd', 'ftp://example.com/a.png', 'javascript:alert(1)', 'not a url', 'http://user:pw@example.com/'])(
    'invalid URL %s',
    async (url) => {
      expect((await failure(url, open)).code).toBe('invalid_url');
    },
  );

  it('an unknown host (NXDOMAIN) fails for good: the name will not appear on retry', async () => {
    const error = await failure('http://nowhere.test/', { ...open, lookup: fakeDns({}) });
    expect(error.code).toBe('media_fetch_failed');
    expect(error.transient).toBe(false);
    expect(error.message).toContain('could not be resolved');
  });

  it('a refused connection, without naming the address', async () => {
    const server = await serve(ok);
    const url = `${server.origin}/`;
    await server.close();
    const error = await failure(url, open);
    expect(error.code).toBe('media_fetch_failed');
    expect(error.transient).toBe(true);
    expect(error.message).toBe('The media URL could not be fetched: the server refused the connection');
  });
});

describe('fetchMedia memory', () => {
  it('stays bounded over 20 capped endless downloads', async () => {
    const server = await serve((_req, res) => endless(res));
    const gc = (globalThis as { gc?: () => void }).gc;
    if (gc === undefined) throw new Error('run with --expose-gc (vitest.config.ts sets it)');
    gc();
    const before = process.memoryUsage().heapUsed;
    for (let i = 0; i < 20; i++) {
      expect((await failure(`${server.origin}/`, open)).code).toBe('media_too_large');
    }
    await server.waitForSocketsClosed(2000);
    expect(server.connections).toBe(20);
    gc();
    expect(process.memoryUsage().heapUsed - before).toBeLessThan(30 * MB);
  });
});
