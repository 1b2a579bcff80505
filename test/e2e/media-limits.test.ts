/**
 * WhatsApp's size limit per media kind, through the real server: a file of
 * exactly the kind's limit goes out, one byte more is refused (base64: 400 at
 * accept; URL: the message fails when the dispatcher downloads it). The
 * operator's global cap is left at its default (100 MB), so a check made
 * against the global cap instead of the kind's lets the larger file through.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { MB } from '../../src/media/kinds.js';
import { startFixture, type Fixture } from '../media/http-fixture.js';
import { isoBmff, png } from '../media/media-samples.js';
import { startTestGateway, waitFor, waitForStatus, type InboxEntry, type Tenant, type TestGateway } from '../helpers/gateway.js';

let g: TestGateway;
let t: Tenant;
let files: Fixture;
const served = new Map<string, Buffer>();

/** A file of `size` bytes that sniffs as `sample`'s format (its header, then zeros). */
function fileOf(sample: Uint8Array, size: number): Buffer {
  const out = Buffer.alloc(size);
  out.set(sample);
  return out;
}

const KINDS = [
  { kind: 'image', limit: 5 * MB, sample: png() },
  { kind: 'video', limit: 16 * MB, sample: isoBmff('isom') },
  { kind: 'audio', limit: 16 * MB, sample: isoBmff('M4A ') },
] as const;

beforeAll(async () => {
  g = await startTestGateway({
    CONNEXA_MEDIA_ALLOW_PRIVATE_NETWORKS: 'true',
    // Decoding large base64 lags the loop; shedding is not what is tested here.
    CONNEXA_OVERLOAD_EVENT_LOOP_DELAY_MS: '0',
    CONNEXA_OVERLOAD_COMMIT_MS: '0',
  });
  t = await g.tenant();
  files = await startFixture((req, res) => {
    const body = served.get(req.url ?? '');
    if (body === undefined) return res.writeHead(404).end();
    res.writeHead(200, { 'content-type': 'application/octet-stream', 'content-length': body.length }).end(body);
  });
});

afterAll(async () => {
  await files.close();
  await g.stop();
});

async function arrival(messageId: string): Promise<InboxEntry> {
  return waitFor(
    async () => {
      const r = await g.get(t, '/api/v1/sandbox/messages?limit=1000');
      return (r.body.messages ?? []).find((e) => e.message_id === messageId);
    },
    20_000,
    `message ${messageId} in the sandbox inbox`,
  );
}

describe.each(KINDS)('$kind: at most $limit bytes', ({ kind, limit, sample }) => {
  it('base64: the limit is accepted and sent, one byte more is 400 media_too_large', { timeout: 60_000 }, async () => {
    const over = await g.send(t, kind, { phone: '554499999999', data: { base64: fileOf(sample, limit + 1).toString('base64') } });
    expect(over.status).toBe(400);
    expect(over.body.error?.code).toBe('media_too_large');
    expect(over.body.error?.details?.[0]?.field).toBe('data.base64');

    const at = await g.send(t, kind, { phone: '554499999999', data: { base64: fileOf(sample, limit).toString('base64') } });
    expect(at.status).toBe(200);
    expect((await arrival(at.body.message_id ?? '')).media?.size).toBe(limit);
  });

  it('URL: the limit is downloaded and sent, one byte more fails the message with media_too_large', { timeout: 60_000 }, async () => {
    served.set(`/${kind}-over`, fileOf(sample, limit + 1));
    served.set(`/${kind}-at`, fileOf(sample, limit));
    const over = await g.send(t, kind, { phone: '554499999999', data: { url: `${files.origin}/${kind}-over` } });
    const at = await g.send(t, kind, { phone: '554499999998', data: { url: `${files.origin}/${kind}-at` } });
    expect([over.status, at.status]).toEqual([200, 200]);

    const failed = await waitForStatus(g, t, over.body.message_id ?? '', ['failed', 'sent', 'delivered', 'read'], 20_000);
    expect(failed.status).toBe('failed');
    expect(failed.error?.code).toBe('media_too_large');
    expect((await arrival(at.body.message_id ?? '')).media?.size).toBe(limit);
  });
});
