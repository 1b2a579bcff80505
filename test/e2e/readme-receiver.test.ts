/**
 * The example webhook receiver in the README, run as written (only its port
 * changed), against the real gateway: it verifies and logs a real event and
 * refuses a forged one.
 */
import { spawn } from 'node:child_process';
import fs from 'node:fs';
import net from 'node:net';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { startTestGateway, waitFor, type TestGateway } from '../helpers/gateway.js';

let g: TestGateway | undefined;
const script = path.resolve('test/e2e/.readme-receiver.tmp.mjs');

afterAll(async () => {
  await g?.stop();
  fs.rmSync(script, { force: true });
});

async function freePort(): Promise<number> {
  return new Promise((resolve) => {
    const s = net.createServer().listen(0, '127.0.0.1', () => {
      const { port } = s.address() as net.AddressInfo;
      s.close(() => resolve(port));
    });
  });
}

describe('the README webhook receiver', () => {
  it('verifies real deliveries and refuses forged ones', async () => {
    const readme = fs.readFileSync('README.md', 'utf8');
    const code = /```js\n(import http from 'node:http';[\s\S]*?)```/.exec(readme)?.[1];
    expect(code, 'the README has the receiver example').toBeDefined();
    const port = await freePort();
    fs.writeFileSync(script, (code ?? '').replace('.listen(3000)', `.listen(${port}, '127.0.0.1')`));

    g = await startTestGateway({ CONNEXA_WEBHOOK_ALLOW_PRIVATE_NETWORKS: 'true', CONNEXA_WEBHOOK_POLL_MS: '20' });
    const t = await g.tenant();
    const put = await fetch(`${g.url}/api/v1/instance/webhook`, {
      method: 'PUT',
      headers: { authorization: t.auth, 'content-type': 'application/json' },
      body: JSON.stringify({ url: `http://127.0.0.1:${port}/`, events: ['message.sent'] }),
    });
    const secret = ((await put.json()) as { secret: string }).secret;
    const child = spawn(process.execPath, [script], { env: { PATH: process.env['PATH'] ?? '', CONNEXA_WEBHOOK_SECRET: secret } });
    let out = '';
    child.stdout.on('data', (d: Buffer) => (out += d.toString()));
    try {
      await waitFor(
        async () => {
          try {
            return (await fetch(`http://127.0.0.1:${port}/`, { method: 'POST', body: '{}' })).status === 401 ? true : undefined;
          } catch {
            return undefined;
          }
        },
        10_000,
        'the receiver to listen and refuse an unsigned request',
      );
      await g.send(t, 'text', { phone: '554499999999', data: { text: 'to the receiver' } });
      await waitFor(async () => (out.includes('message.sent') ? true : undefined), 10_000, 'the receiver to log the event');
    } finally {
      child.kill();
    }
  });
});
