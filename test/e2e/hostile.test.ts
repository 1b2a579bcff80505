/**
 * Requests an attacker (or a broken client) sends, through the real server:
 * each gets the error shape with a stable code, never a 500, a framework
 * message or an echo of what was sent.
 */
import fs from 'node:fs';
import net from 'node:net';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestGateway, type Tenant, type TestGateway } from '../helpers/gateway.js';
import { png } from '../media/media-samples.js';
import { onPostgres } from '../helpers/test-db.js';

let g: TestGateway;
let t: Tenant;

beforeAll(async () => {
  g = await startTestGateway();
  t = await g.tenant();
});
afterAll(async () => g?.stop());

/** A raw HTTP exchange: what a client library would never send. */
function raw(request: string, waitMs = 2_000): Promise<string> {
  const { hostname, port } = new URL(g.url);
  return new Promise((resolve, reject) => {
    const socket = net.connect(Number(port), hostname, () => socket.write(request));
    let got = '';
    socket.on('data', (d: Buffer) => (got += d.toString('latin1')));
    socket.on('error', reject);
    socket.on('close', () => resolve(got));
    setTimeout(() => {
      socket.destroy();
      resolve(got);
    }, waitMs);
  });
}

function nested(depth: number): string {
  return `${'['.repeat(depth)}1${']'.repeat(depth)}`;
}

describe('bodies', () => {
  it('a deeply nested JSON value is refused at parse time (400 invalid_body), with or without an Idempotency-Key', async () => {
    const body = `{"phone":"554499999999","data":{"text":"hi","extra":${nested(5_000)}}}`;
    for (const headers of [{}, { 'idempotency-key': 'deep-1' }] as Record<string, string>[]) {
      const r = await g.send(t, 'text', body, { 'content-type': 'application/json', ...headers });
      expect(r.status).toBe(400);
      expect(r.body.error?.code).toBe('invalid_body');
      expect(r.body.error?.message).toMatch(/nest/i);
    }
  });

  it('nesting within the limit is fine, and the idempotency key binds the request as validated', async () => {
    const body = { phone: '554499999999', data: { text: 'hi', extra: JSON.parse(nested(20)) as unknown } };
    const first = await g.send(t, 'text', body, { 'idempotency-key': 'deep-2' });
    expect(first.status).toBe(200);
    // Unknown fields are not part of the request: the same text again is a replay, not a conflict.
    const again = await g.send(t, 'text', { phone: '554499999999', data: { text: 'hi' } }, { 'idempotency-key': 'deep-2' });
    expect(again.status).toBe(200);
    expect(again.body.message_id).toBe(first.body.message_id);
  });
});

describe('framework errors keep the error shape', () => {
  it('text/plain is 415 unsupported_content_type', async () => {
    const r = await g.send(t, 'text', 'hello', { 'content-type': 'text/plain' });
    expect(r.status).toBe(415);
    expect(r.body.error?.code).toBe('unsupported_content_type');
  });

  it('a path parameter too long is 414 in the error shape, without echoing the path', async () => {
    const long = 'x'.repeat(1_000);
    const res = await fetch(`${g.url}/api/v1/message/${long}`, { headers: { authorization: t.auth } });
    const body = (await res.json()) as { error?: { code: string; message: string } };
    expect(res.status).toBe(414);
    expect(body.error?.code).toBe('uri_too_long');
    expect(JSON.stringify(body)).not.toContain(long.slice(0, 100));
  });

  it('a malformed request line or header is 400 in the error shape', async () => {
    const answer = await raw('GET /healthz HTTP/1.1\r\nHost: x\r\nBad Header\r\n\r\n');
    expect(answer).toMatch(/^HTTP\/1\.1 400/);
    expect(answer).toContain('"code":"bad_request"');
    expect(answer).not.toContain('Client Error');
  });

  it('headers too large are 431 in the error shape', async () => {
    const answer = await raw(`GET /healthz HTTP/1.1\r\nHost: x\r\nX-Big: ${'a'.repeat(20_000)}\r\n\r\n`);
    expect(answer).toMatch(/^HTTP\/1\.1 431/);
    expect(answer).toContain('"code":"headers_too_large"');
  });

  it('Expect: 100-continue is not answered before the credentials are checked', async () => {
    const answer = await raw(
      'POST /api/v1/message/text HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nContent-Length: 10\r\nExpect: 100-continue\r\n\r\n',
      1_000,
    );
    expect(answer).not.toMatch(/^HTTP\/1\.1 100/);
    expect(answer).toMatch(/^HTTP\/1\.1 401/);
  });

  it('with the right credentials, 100 Continue comes first and the body is then taken', async () => {
    const { hostname, port } = new URL(g.url);
    const body = JSON.stringify({ phone: '554499999999', data: { text: 'after continue' } });
    const answer = await new Promise<string>((resolve, reject) => {
      const socket = net.connect(Number(port), hostname, () => {
        socket.write(
          `POST /api/v1/message/text HTTP/1.1\r\nHost: x\r\nAuthorization: ${t.auth}\r\nContent-Type: application/json\r\n` +
            `Content-Length: ${Buffer.byteLength(body)}\r\nExpect: 100-continue\r\nConnection: close\r\n\r\n`,
        );
      });
      let got = '';
      socket.on('data', (d: Buffer) => {
        got += d.toString('latin1');
        if (got.startsWith('HTTP/1.1 100') && got.endsWith('\r\n\r\n') && !got.includes('200')) socket.write(body);
      });
      socket.on('error', reject);
      socket.on('close', () => resolve(got));
      setTimeout(() => socket.destroy(), 3_000);
    });
    expect(answer).toMatch(/^HTTP\/1\.1 100 Continue\r\n\r\nHTTP\/1\.1 200/);
    expect(answer).toContain('"message_id"');
  });
});

describe('connections', () => {
  let tight: TestGateway;
  let tt: Tenant;
  beforeAll(async () => {
    tight = await startTestGateway({
      CONNEXA_HTTP_IDLE_TIMEOUT_S: '1',
      CONNEXA_HTTP_MIN_BODY_BYTES_PER_S: '100',
      CONNEXA_HTTP_MAX_CONNECTIONS_PER_ADDRESS: '20',
    });
    tt = await tight.tenant();
  });
  afterAll(async () => tight?.stop());

  /** Opens a connection to `gw`; resolves with what it received and when it closed (bounded wait). */
  function hold(gw: TestGateway, write: (s: net.Socket) => void, maxMs: number): Promise<{ closed: boolean; got: string }> {
    const { hostname, port } = new URL(gw.url);
    return new Promise((resolve) => {
      const socket = net.connect(Number(port), hostname, () => write(socket));
      let got = '';
      const timer = setTimeout(() => {
        socket.destroy();
        resolve({ closed: false, got });
      }, maxMs);
      socket.on('data', (d: Buffer) => (got += d.toString('latin1')));
      socket.on('error', () => {});
      socket.on('close', () => {
        clearTimeout(timer);
        resolve({ closed: true, got });
      });
    });
  }

  it('a connection that never sends a byte is closed after the idle timeout', async () => {
    const r = await hold(tight, () => {}, 8_000);
    expect(r.closed).toBe(true);
  });

  it('a body trickled slower than the minimum rate is cut off with 408 and the connection closed', async () => {
    const r = await hold(
      tight,
      (s) => {
        s.write(
          `POST /api/v1/message/text HTTP/1.1\r\nHost: x\r\nAuthorization: ${tt.auth}\r\nContent-Type: application/json\r\nContent-Length: 5000\r\n\r\n{`,
        );
        // One byte every 500 ms: the connection is never idle, but the body is far under 100 bytes/s.
        const drip = setInterval(() => (s.writable ? s.write(' ') : clearInterval(drip)), 500);
        s.on('close', () => clearInterval(drip));
      },
      15_000,
    );
    expect(r.closed).toBe(true);
    expect(r.got).toMatch(/^HTTP\/1\.1 408/);
    expect(r.got).toContain('"code":"request_timeout"');
  });

  it('a request refused before its body (401) closes the connection instead of reading the rest', async () => {
    const r = await hold(
      tight,
      (s) => {
        s.write(
          'POST /api/v1/message/text HTTP/1.1\r\nHost: x\r\nAuthorization: Basic d3Jvbmc6d3Jvbmc=\r\nContent-Type: application/json\r\nContent-Length: 100000\r\n\r\n{"phone":',
        );
      },
      5_000,
    );
    expect(r.got).toMatch(/^HTTP\/1\.1 401/);
    expect(r.closed).toBe(true);
  });

  it('connections per client address are capped', async () => {
    const { hostname, port } = new URL(tight.url);
    const sockets = await Promise.all(
      Array.from(
        { length: 25 },
        () =>
          new Promise<net.Socket>((resolve) => {
            const s = net.connect(Number(port), hostname, () => resolve(s));
            s.on('error', () => {});
          }),
      ),
    );
    await new Promise((r) => setTimeout(r, 300));
    const open = sockets.filter((s) => !s.destroyed && s.readyState === 'open').length;
    for (const s of sockets) s.destroy();
    expect(open).toBe(20);
  });
});

describe('large uploads', () => {
  let gw: TestGateway;
  beforeAll(async () => {
    gw = await startTestGateway({ CONNEXA_UPLOADS_MAX: '2', CONNEXA_UPLOADS_MAX_PER_INSTANCE: '1' });
  });
  afterAll(async () => gw?.stop());

  /** Starts an upload of a 6 MB image body and keeps it open (partly sent); `close` aborts it. */
  async function holdUpload(tenant: Tenant): Promise<{ close: () => void; answer: Promise<string> }> {
    const { hostname, port } = new URL(gw.url);
    const socket = net.connect(Number(port), hostname);
    socket.on('error', () => {});
    await new Promise((r) => socket.once('connect', r));
    socket.write(
      `POST /api/v1/message/image HTTP/1.1\r\nHost: x\r\nAuthorization: ${tenant.auth}\r\nContent-Type: application/json\r\nContent-Length: 6000000\r\n\r\n{"phone":"554499999999","data":{"base64":"`,
    );
    socket.write('A'.repeat(500_000));
    let got = '';
    socket.on('data', (d: Buffer) => (got += d.toString('latin1')));
    const answer = new Promise<string>((resolve) => socket.on('close', () => resolve(got)));
    // Let the server take the request in.
    await new Promise((r) => setTimeout(r, 200));
    return { close: () => socket.destroy(), answer };
  }

  const bigImage = (tenant: Tenant) => gw.send(tenant, 'image', { phone: '554499999999', data: { base64: 'A'.repeat(5_000_000) } });

  it('past the per-instance and the global bound a large upload is 429 too_many_uploads before its body is read; small ones never wait', async () => {
    const [a, b, c] = [await gw.tenant(), await gw.tenant(), await gw.tenant()];
    const held = await holdUpload(a);
    const second = await bigImage(a);
    expect(second.status).toBe(429);
    expect(second.body.error?.code).toBe('too_many_uploads');
    expect(second.headers.get('retry-after')).toBe('1');
    // A small image of the same instance is not held up (nor is a 1 MB one: only bodies over 4 MiB take slots).
    const small = await gw.send(a, 'image', { phone: '554499999999', data: { base64: Buffer.from(png()).toString('base64') } });
    expect(small.status).toBe(200);

    const other = await holdUpload(b);
    const third = await bigImage(c);
    expect(third.status).toBe(429);

    // An aborted upload gives its slot back.
    held.close();
    other.close();
    await new Promise((r) => setTimeout(r, 200));
    const again = await bigImage(a);
    expect(again.status).not.toBe(429);
    expect(again.status).toBe(400);
  });
});

describe('media waiting per instance', () => {
  it('past CONNEXA_MEDIA_QUEUE_MAX_MB_PER_INSTANCE an upload is 429 media_queue_full; other instances are not affected', async () => {
    const gw = await startTestGateway({ CONNEXA_MEDIA_QUEUE_MAX_MB_PER_INSTANCE: '1', CONNEXA_DISPATCH: 'false' });
    try {
      const [a, b] = [await gw.tenant(), await gw.tenant()];
      const doc = (tenant: Tenant) =>
        gw.send(tenant, 'document', {
          phone: '554499999999',
          data: { base64: Buffer.concat([Buffer.from('%PDF-1.7\n'), Buffer.alloc(400_000, 7)]).toString('base64') },
        });
      expect([(await doc(a)).status, (await doc(a)).status]).toEqual([200, 200]);
      const third = await doc(a);
      expect(third.status).toBe(429);
      expect(third.body.error?.code).toBe('media_queue_full');
      expect(third.headers.get('retry-after')).toBe('10');
      expect((await doc(b)).status).toBe(200);
      // Text is not media: it still goes in.
      expect((await gw.send(a, 'text', { phone: '554499999999', data: { text: 'hi' } })).status).toBe(200);
    } finally {
      await gw.stop();
    }
  });
});

describe('files', () => {
  // On PostgreSQL the database, media files included, is the server's: the node keeps no files.
  it.skipIf(onPostgres)("the database, its WAL and its media folder are the owner's only", () => {
    const files = fs
      .readdirSync(g.dir)
      .filter((f) => f.startsWith('connexa.db'))
      .map((f) => path.join(g.dir, f));
    expect(files).toContain(g.mediaDir);
    for (const f of files) {
      const stat = fs.statSync(f);
      expect((stat.mode & 0o777).toString(8)).toBe(stat.isDirectory() ? '700' : '600');
    }
  });
});
