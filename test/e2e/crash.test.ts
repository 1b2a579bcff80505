/**
 * Crash safety, Jepsen-style: a stream of sends while the server process is
 * killed with SIGKILL at random moments and restarted. Every acknowledged
 * message_id must end `sent` or later, and arrive in the sandbox exactly once.
 * Runs the built server (dist/), as `npm start` would.
 */
import { createHash, randomBytes } from 'node:crypto';
import { createServer } from 'node:http';
import type net from 'node:net';
import { afterAll, describe, expect, it } from 'vitest';
import { childGateway } from '../helpers/child-gateway.js';
import { waitFor, type ApiBody, type InboxEntry } from '../helpers/gateway.js';
import { png } from '../media/media-samples.js';

const server = await childGateway(
  {
    CONNEXA_SANDBOX_DELIVER_MS: '20',
    CONNEXA_SANDBOX_READ_MS: '40',
    CONNEXA_WEBHOOK_ALLOW_PRIVATE_NETWORKS: 'true',
    CONNEXA_WEBHOOK_POLL_MS: '20',
    CONNEXA_WEBHOOK_RETRY_SCALE_PERMILLE: '1',
  },
  'connexa-crash-',
);

afterAll(() => server.dispose());

/** Sends from `writers` clients until the server is killed (after 300–1000 ms), then starts it again. */
async function killDuring(send: (writer: number) => Promise<void>, writers: number): Promise<void> {
  let running = true;
  const loops = Array.from({ length: writers }, async (_, w) => {
    while (running) {
      try {
        await send(w);
      } catch {
        // The server died mid-request: not acknowledged, may or may not arrive.
      }
    }
  });
  await new Promise((r) => setTimeout(r, 300 + Math.random() * 700));
  await server.kill();
  running = false;
  await Promise.all(loops);
  await server.start();
}

describe('SIGKILL in the middle of a stream of sends', () => {
  it('loses no acknowledged message and delivers none twice', { timeout: 120_000 }, async () => {
    const base = server.base;
    await server.start();
    const { auth } = await server.tenant();

    // A webhook receiver in this process: it sees deliveries across every kill and restart.
    const hooks = new Map<string, { messageId: string; count: number }>();
    const receiver = createServer((req, res) => {
      let body = '';
      req.on('data', (c: Buffer) => (body += c.toString()));
      req.on('end', () => {
        const e = JSON.parse(body) as { id: string; data: { message_id: string } };
        const seen = hooks.get(e.id);
        hooks.set(e.id, { messageId: e.data.message_id, count: (seen?.count ?? 0) + 1 });
        res.writeHead(200).end();
      });
    });
    await new Promise<void>((resolve) => receiver.listen(0, '127.0.0.1', () => resolve()));
    const hookUrl = `http://127.0.0.1:${(receiver.address() as net.AddressInfo).port}/hook`;
    const put = await fetch(`${base}/api/v1/instance/webhook`, {
      method: 'PUT',
      headers: { authorization: auth, 'content-type': 'application/json' },
      body: JSON.stringify({ url: hookUrl, events: ['message.sent'] }),
    });
    expect(put.status).toBe(200);

    const acked = new Map<string, string>(); // message_id → text
    let counter = 0;
    let attempted = 0;
    const KILLS = 5;
    for (let round = 0; round < KILLS; round++) {
      await killDuring(async (w) => {
        const body = `c${counter++}`;
        attempted++;
        const res = await fetch(`${base}/api/v1/message/text`, {
          method: 'POST',
          headers: { authorization: auth, 'content-type': 'application/json' },
          body: JSON.stringify({ phone: `55449000${String(w).padStart(4, '0')}`, data: { text: body } }),
        });
        if (res.status === 200) acked.set(((await res.json()) as ApiBody).message_id ?? '', body);
      }, 8);
    }

    // After the last restart every acknowledged message must reach sent or later.
    const pending = async () => {
      const stillQueued: string[] = [];
      for (const id of acked.keys()) {
        const r = (await (await fetch(`${base}/api/v1/message/${id}`, { headers: { authorization: auth } })).json()) as ApiBody;
        if (!['sent', 'delivered', 'read'].includes(r.status ?? '')) stillQueued.push(id);
      }
      return stillQueued.length === 0 ? true : undefined;
    };
    await waitFor(pending, 60_000, 'every acknowledged message to be sent');

    const inbox: InboxEntry[] = [];
    let cursor: string | null | undefined;
    do {
      const q = cursor === undefined || cursor === null ? '' : `&cursor=${cursor}`;
      const page = (await (await fetch(`${base}/api/v1/sandbox/messages?limit=1000${q}`, { headers: { authorization: auth } })).json()) as ApiBody;
      inbox.push(...(page.messages ?? []));
      cursor = page.next_cursor;
    } while (cursor !== null && cursor !== undefined);

    // Webhooks: every acknowledged message has one message.sent event (its id may arrive more than once).
    await waitFor(
      async () => {
        const covered = new Set([...hooks.values()].map((h) => h.messageId));
        return [...acked.keys()].every((id) => covered.has(id)) ? true : undefined;
      },
      60_000,
      'a message.sent webhook for every acknowledged message',
    );
    const eventsPerMessage = new Map<string, number>();
    for (const h of hooks.values()) eventsPerMessage.set(h.messageId, (eventsPerMessage.get(h.messageId) ?? 0) + 1);
    const redelivered = [...hooks.values()].filter((h) => h.count > 1).length;
    console.log(`crash test webhooks: ${hooks.size} distinct events, ${redelivered} delivered again after a kill (same webhook-id)`);
    expect([...eventsPerMessage.values()].every((n) => n === 1)).toBe(true);
    await new Promise<void>((resolve) => receiver.close(() => resolve()));

    const arrivals = new Map<string, number>();
    for (const e of inbox) arrivals.set(e.message_id, (arrivals.get(e.message_id) ?? 0) + 1);
    const lost = [...acked.keys()].filter((id) => !arrivals.has(id));
    const twice = [...arrivals.entries()].filter(([, n]) => n > 1);
    const textsTwice = inbox.length - new Set(inbox.map((e) => e.text)).size;
    const unackedDelivered = inbox.filter((e) => !acked.has(e.message_id)).length;
    const resends = inbox.reduce((n, e) => n + e.resends, 0);
    console.log(
      `crash test: ${KILLS} kills, ${attempted} attempted, ${acked.size} acknowledged, lost ${lost.length}, ` +
        `delivered twice ${twice.length}, never acknowledged but delivered ${unackedDelivered}, resends deduplicated ${resends}`,
    );
    expect(acked.size).toBeGreaterThan(50);
    expect(lost).toEqual([]);
    expect(twice).toEqual([]);
    expect(textsTwice).toBe(0);
    for (const e of inbox) if (acked.has(e.message_id)) expect(e.text).toBe(acked.get(e.message_id));
  });

  it('images: every acknowledged file arrives whole, and no file is left behind', { timeout: 120_000 }, async () => {
    const base = server.base;
    await server.kill();
    await server.start();
    const { auth } = await server.tenant();
    const acked = new Map<string, string>(); // message_id → sha256 of the file
    for (let round = 0; round < 3; round++) {
      await killDuring(async (w) => {
        const file = Buffer.concat([Buffer.from(png()), randomBytes(20_000 + Math.floor(Math.random() * 200_000))]);
        const res = await fetch(`${base}/api/v1/message/image`, {
          method: 'POST',
          headers: { authorization: auth, 'content-type': 'application/json' },
          body: JSON.stringify({ phone: `55449100${String(w).padStart(4, '0')}`, data: { base64: file.toString('base64') } }),
        });
        if (res.status === 200) acked.set(((await res.json()) as ApiBody).message_id ?? '', createHash('sha256').update(file).digest('hex'));
      }, 6);
    }
    expect(acked.size).toBeGreaterThan(10);
    const inbox = async () =>
      ((await (await fetch(`${base}/api/v1/sandbox/messages?limit=1000`, { headers: { authorization: auth } })).json()) as ApiBody).messages ?? [];
    await waitFor(
      async () => {
        const arrived = new Set((await inbox()).map((e) => e.message_id));
        return [...acked.keys()].every((id) => arrived.has(id)) ? true : undefined;
      },
      60_000,
      'every acknowledged image in the sandbox',
    );
    for (const e of await inbox()) if (acked.has(e.message_id)) expect(e.media?.sha256).toBe(acked.get(e.message_id));
    // Sent files are removed after their commit; files of sends cut off by a kill at the next start.
    await waitFor(async () => ((await server.database.spooled()) === 0 ? true : undefined), 10_000, 'an empty media spool');
    await server.kill();
    await server.start();
    expect(await server.database.spooled()).toBe(0);
  });
});
