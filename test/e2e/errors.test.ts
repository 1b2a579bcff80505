/** Every malformed-request class gets its status and a stable code naming the field. */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { png } from '../media/media-samples.js';
import { basic, startTestGateway, type Tenant, type TestGateway } from '../helpers/gateway.js';

let g: TestGateway;
let t: Tenant;
const b64png = Buffer.from(png()).toString('base64');

beforeAll(async () => {
  g = await startTestGateway({ CONNEXA_MEDIA_MAX_BYTES: String(64 * 1024) });
  t = await g.tenant();
});
afterAll(async () => g?.stop());

const cases: { name: string; type: string; body: unknown; status: number; code: string; field?: string }[] = [
  { name: 'missing phone', type: 'text', body: { data: { text: 'hi' } }, status: 400, code: 'phone_required', field: 'phone' },
  { name: 'empty phone', type: 'text', body: { phone: '  ', data: { text: 'hi' } }, status: 400, code: 'phone_required', field: 'phone' },
  { name: 'letters in phone', type: 'text', body: { phone: '55449999abcd', data: { text: 'hi' } }, status: 400, code: 'invalid_phone', field: 'phone' },
  { name: 'too short for its country', type: 'text', body: { phone: '5544', data: { text: 'hi' } }, status: 400, code: 'invalid_phone', field: 'phone' },
  { name: 'leading 00', type: 'text', body: { phone: '00554499999999', data: { text: 'hi' } }, status: 400, code: 'invalid_phone', field: 'phone' },
  {
    name: 'unknown type',
    type: 'sticker',
    body: { phone: '554499999999', data: { text: 'hi' } },
    status: 400,
    code: 'unknown_message_type',
    field: 'message_type',
  },
  { name: 'missing data', type: 'text', body: { phone: '554499999999' }, status: 400, code: 'data_required', field: 'data' },
  { name: 'missing text', type: 'text', body: { phone: '554499999999', data: {} }, status: 400, code: 'text_required', field: 'data.text' },
  { name: 'empty text', type: 'text', body: { phone: '554499999999', data: { text: '' } }, status: 400, code: 'text_required', field: 'data.text' },
  {
    name: 'text too long',
    type: 'text',
    body: { phone: '554499999999', data: { text: 'x'.repeat(4097) } },
    status: 400,
    code: 'text_too_long',
    field: 'data.text',
  },
  {
    name: 'neither url nor base64',
    type: 'image',
    body: { phone: '554499999999', data: { text: 'hi' } },
    status: 400,
    code: 'media_source_required',
    field: 'data',
  },
  {
    name: 'both url and base64',
    type: 'image',
    body: { phone: '554499999999', data: { url: 'https://example.com/a.png', base64: b64png } },
    status: 400,
    code: 'media_source_conflict',
    field: 'data',
  },
  {
    name: 'invalid base64',
    type: 'image',
    body: { phone: '554499999999', data: { base64: 'not*base64' } },
    status: 400,
    code: 'invalid_base64',
    field: 'data.base64',
  },
  {
    name: 'bad padding',
    type: 'image',
    body: { phone: '554499999999', data: { base64: 'iVBORw0KGgo' } },
    status: 400,
    code: 'invalid_base64',
    field: 'data.base64',
  },
  {
    name: 'wrong kind (png as video)',
    type: 'video',
    body: { phone: '554499999999', data: { base64: b64png } },
    status: 400,
    code: 'media_type_mismatch',
    field: 'data.base64',
  },
  {
    name: 'oversized media',
    type: 'image',
    body: { phone: '554499999999', data: { base64: Buffer.alloc(70 * 1024, 1).toString('base64') } },
    status: 400,
    code: 'media_too_large',
    field: 'data.base64',
  },
  {
    name: 'non-http url',
    type: 'image',
    body: { phone: '554499999999', data: { url: 'file:///etc/passwd' } },
    status: 400,
    code: 'invalid_url',
    field: 'data.url',
  },
  {
    name: 'loopback url',
    type: 'image',
    body: { phone: '554499999999', data: { url: 'http://2130706433/x.png' } },
    status: 400,
    code: 'media_url_blocked',
    field: 'data.url',
  },
  {
    name: 'metadata url',
    type: 'image',
    body: { phone: '554499999999', data: { url: 'http://169.254.169.254/latest/meta-data' } },
    status: 400,
    code: 'media_url_blocked',
    field: 'data.url',
  },
  { name: 'text of wrong type', type: 'text', body: { phone: '554499999999', data: { text: ['hi'] } }, status: 400, code: 'invalid_body', field: 'data.text' },
  {
    name: 'text is a number (no coercion)',
    type: 'text',
    body: { phone: '554499999999', data: { text: 123 } },
    status: 400,
    code: 'invalid_body',
    field: 'data.text',
  },
  { name: 'body is an array', type: 'text', body: [1, 2], status: 400, code: 'invalid_body' },
];

describe('malformed requests', () => {
  for (const c of cases) {
    it(`${c.name} → ${c.status} ${c.code}`, async () => {
      const r = await g.send(t, c.type, c.body);
      expect(r.status).toBe(c.status);
      expect(r.body.error?.code).toBe(c.code);
      expect(typeof r.body.error?.message).toBe('string');
      if (c.field !== undefined) expect(r.body.error?.details?.[0]?.field).toBe(c.field);
    });
  }

  it('unknown fields in data are tolerated', async () => {
    const r = await g.send(t, 'text', { phone: '554499999999', data: { text: 'hi', priority: 'high', foo: { bar: 1 } } });
    expect(r.status).toBe(200);
  });

  it('phone separators are stripped: +55 (44) 9999-9999', async () => {
    const r = await g.send(t, 'text', { phone: '+55 (44) 9999-9999', data: { text: 'hi' } });
    expect(r.status).toBe(200);
    const s = await g.get(t, `/api/v1/message/${r.body.message_id ?? ''}`);
    expect(s.body.phone).toBe('554499999999');
  });

  it('invalid JSON → 400 invalid_json', async () => {
    const r = await g.send(t, 'text', '{"phone": "5544', {});
    expect(r.status).toBe(400);
    expect(r.body.error?.code).toBe('invalid_json');
  });

  it('not JSON → 415 unsupported_content_type', async () => {
    const r = await g.send(t, 'text', 'phone=554499999999', { 'content-type': 'application/x-www-form-urlencoded' });
    expect(r.status).toBe(415);
    expect(r.body.error?.code).toBe('unsupported_content_type');
  });

  it('a body over the limit → 413 payload_too_large', async () => {
    const r = await g.send(t, 'text', { phone: '554499999999', data: { text: 'x'.repeat(100 * 1024) } });
    expect(r.status).toBe(413);
    expect(r.body.error?.code).toBe('payload_too_large');
  });

  it("a media body over that kind's limit → 413 before it is parsed", async () => {
    const r = await g.send(t, 'image', { phone: '554499999999', data: { base64: 'A'.repeat(200 * 1024) } });
    expect(r.status).toBe(413);
    expect(r.body.error?.code).toBe('payload_too_large');
  });

  it('sandbox paging parameters are checked', async () => {
    for (const q of ['limit=0', 'limit=1001', 'limit=ten', 'cursor=abc']) {
      const r = await g.get(t, `/api/v1/sandbox/messages?${q}`);
      expect(r.status).toBe(400);
      expect(r.body.error?.details?.[0]?.field).toBe(q.split('=')[0]);
    }
  });

  it('unknown message id → 404; malformed id → 404', async () => {
    expect((await g.get(t, '/api/v1/message/00000000-0000-4000-8000-000000000000')).status).toBe(404);
    const r = await g.get(t, '/api/v1/message/..%2F..%2Fetc');
    expect(r.status).toBe(404);
    expect(r.body.error?.code).toBe('message_not_found');
  });
});

describe('authentication', () => {
  it('no credentials → 401 with WWW-Authenticate', async () => {
    const res = await fetch(`${g.url}/api/v1/message/text`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: '{}' });
    expect(res.status).toBe(401);
    expect(res.headers.get('www-authenticate')).toBe('Basic realm="connexa"');
    expect(((await res.json()) as { error: { code: string } }).error.code).toBe('unauthorized');
  });

  it('wrong token, or a valid token under another user_id → 401', async () => {
    const other = await g.tenant();
    for (const auth of [basic(t.userId, 'cnx_wrong'), basic(other.userId, t.token), basic(t.userId, '')]) {
      const r = await g.send({ ...t, auth }, 'text', { phone: '554499999999', data: { text: 'hi' } });
      expect(r.status).toBe(401);
      expect(r.headers.get('www-authenticate')).toMatch(/Basic/);
      expect(JSON.stringify(r.body)).not.toContain(t.token);
    }
  });

  it("one instance cannot see another instance's message or inbox", async () => {
    const other = await g.tenant();
    const sent = await g.send(t, 'text', { phone: '554499999999', data: { text: 'private' } });
    expect(sent.status).toBe(200);
    expect((await g.get(t, `/api/v1/message/${sent.body.message_id ?? ''}`)).status).toBe(200);
    const peek = await g.get(other, `/api/v1/message/${sent.body.message_id ?? ''}`);
    expect(peek.status).toBe(404);
    expect(peek.body.error?.code).toBe('message_not_found');
    const inbox = await g.get(other, '/api/v1/sandbox/messages');
    expect(inbox.body.messages?.some((m) => m.message_id === sent.body.message_id)).toBe(false);
  });

  it('the admin API needs the bearer token', async () => {
    const res = await fetch(`${g.url}/api/v1/admin/users`, {
      method: 'POST',
      headers: { authorization: 'Bearer nope', 'content-type': 'application/json' },
      body: '{"name":"x"}',
    });
    expect(res.status).toBe(401);
  });
});
