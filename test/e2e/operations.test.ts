/** Health, logs without secrets, and a graceful shutdown that finishes in-flight requests. */
import fs from 'node:fs';
import path from 'node:path';
import { Writable } from 'node:stream';
import { afterAll, describe, expect, it } from 'vitest';
import { loadConfig } from '../../src/config.js';
import { startGateway, type Gateway } from '../../src/gateway.js';
import { createLogger } from '../../src/log.js';
import { png } from '../media/media-samples.js';
import { basic, tempDir } from '../helpers/gateway.js';

const dir = tempDir();
const lines: string[] = [];
const sink = new Writable({
  write(chunk: Buffer, _enc, cb) {
    lines.push(chunk.toString());
    cb();
  },
});
let gateway: Gateway | undefined;
const printed: string[] = [];

afterAll(async () => {
  await gateway?.stop();
  fs.rmSync(dir, { recursive: true, force: true });
});

describe('operations', () => {
  it('first start: demo instance printed (not logged), health endpoints, secrets never logged, graceful stop', async () => {
    const config = loadConfig({
      CONNEXA_PORT: '0',
      CONNEXA_HOST: '127.0.0.1',
      CONNEXA_DATABASE_URL: `sqlite:${path.join(dir, 'c.db')}`,
      CONNEXA_LOG_LEVEL: 'trace',
      CONNEXA_MEDIA_ALLOW_PRIVATE_NETWORKS: 'false',
    });
    gateway = await startGateway(config, { logger: createLogger('trace', sink), print: (t) => printed.push(t) });
    const banner = printed.join('\n');
    const userId = /user_id:\s+(\S+)/.exec(banner)?.[1] ?? '';
    const token = /instance_token:\s+(cnx_\S+)/.exec(banner)?.[1] ?? '';
    const adminToken = fs.readFileSync(path.join(dir, 'admin-token'), 'utf8').trim();
    expect(token).toMatch(/^cnx_/);
    expect(adminToken).toMatch(/^cnx_admin_/);
    // The key that seals secrets at rest is generated once, readable by the owner only.
    expect(fs.statSync(path.join(dir, 'secret-key')).mode & 0o777).toBe(0o600);
    expect(fs.statSync(path.join(dir, 'admin-token')).mode & 0o777).toBe(0o600);
    expect(fs.readFileSync(path.join(dir, 'secret-key'), 'utf8').trim()).toMatch(/^[0-9a-f]{64}$/);
    expect(banner).toContain(`curl -X POST "${gateway.url}/api/v1/message/text" -u "${userId}:${token}"`);

    expect((await fetch(`${gateway.url}/healthz`)).status).toBe(200);
    expect((await fetch(`${gateway.url}/readyz`)).status).toBe(200);

    const auth = basic(userId, token);
    const b64 = Buffer.from(png()).toString('base64');
    const headers = { authorization: auth, 'content-type': 'application/json' };
    expect(
      (await fetch(`${gateway.url}/api/v1/message/image`, { method: 'POST', headers, body: JSON.stringify({ phone: '554499999999', data: { base64: b64 } }) }))
        .status,
    ).toBe(200);
    expect(
      (await fetch(`${gateway.url}/api/v1/message/text`, { method: 'POST', headers: { ...headers, authorization: basic(userId, `${token}x`) }, body: '{}' }))
        .status,
    ).toBe(401);
    expect(
      (
        await fetch(`${gateway.url}/api/v1/message/image`, {
          method: 'POST',
          headers,
          body: JSON.stringify({ phone: '554499999999', data: { base64: `${b64}!` } }),
        })
      ).status,
    ).toBe(400);
    const admin = await fetch(`${gateway.url}/api/v1/admin/users`, {
      method: 'POST',
      headers: { authorization: `Bearer ${adminToken}`, 'content-type': 'application/json' },
      body: '{"name":"n"}',
    });
    expect(admin.status).toBe(201);

    // A slow in-flight request: its body is still arriving when the stop begins.
    const body = JSON.stringify({ phone: '554499999999', data: { text: 'in flight during shutdown' } });
    const stream = new ReadableStream<Uint8Array>({
      async start(controller) {
        controller.enqueue(new TextEncoder().encode(body.slice(0, 10)));
        await new Promise((r) => setTimeout(r, 300));
        controller.enqueue(new TextEncoder().encode(body.slice(10)));
        controller.close();
      },
    });
    const inflight = fetch(`${gateway.url}/api/v1/message/text`, { method: 'POST', headers, body: stream, duplex: 'half' } as RequestInit);
    await new Promise((r) => setTimeout(r, 100));
    const stopping = gateway.stop();
    const res = await inflight;
    expect(res.status).toBe(200);
    await stopping;
    gateway = undefined;

    const log = lines.join('');
    expect(log.length).toBeGreaterThan(0);
    for (const secret of [token, adminToken, b64.slice(0, 40), auth.slice(6)]) expect(log).not.toContain(secret);
    expect(log.toLowerCase()).not.toContain('authorization');
  });
});
