/**
 * A fake of Meta's Graph API for the WhatsApp Cloud API, faithful to
 * ../shared/reference/cloud-api.md ("A faithful fake Graph server"): a real
 * HTTP server on 127.0.0.1 that a client reaches through its configurable
 * Graph URL. A test fixture, never a mode of the product.
 *
 * - `POST /{version}/{phone-number-id}/messages` (any `vNN.N`): Bearer token
 *   (else 401, code 190), known phone-number id (else 100/33), the body
 *   checked (validate.ts), scripted synchronous failures (`fail`), the
 *   number's throughput and the pair rate (limits.ts); a 200 echoes `input`,
 *   gives the recipient's `wa_id` (digits; `waIds` remaps, e.g. a Brazilian
 *   9th digit) and a `wamid.` id, then statuses follow by webhook: `sent`,
 *   `delivered`, `read`, or `failed` (scripted with `failAfterAccept`, or
 *   131053 when a `link` cannot be fetched).
 * - `POST /{version}/{phone-number-id}/media` (multipart `file`, `type`,
 *   `messaging_product`): the MIME and size table enforced → `{id}`;
 *   `GET|DELETE /{version}/{media-id}`; the file at its `url` for 5 minutes,
 *   with the Bearer token only (404 without).
 * - Webhooks (webhooks.ts): `subscribe` does the GET handshake, then statuses
 *   and `inbound` messages are POSTed, signed, retried, sometimes twice.
 */
import { createHash, randomBytes } from 'node:crypto';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { GraphError, GRAPH_ERRORS, unknownObject } from './errors.js';
import { SendLimits, type LimitOptions } from './limits.js';
import { UPLOAD_LIMITS, uploadTypeOf, validateMessage, type MediaType, type ValidMessage } from './validate.js';
import { verifySubscription, WebhookSender, type Subscription } from './webhooks.js';

export interface FakeGraphOptions {
  phoneNumberId?: string;
  displayPhoneNumber?: string;
  wabaId?: string;
  accessToken?: string;
  appSecret?: string;
  limits?: Partial<LimitOptions>;
  /** When statuses follow a 200, ms after it (`read: null`: never read). */
  statusDelays?: { sentMs: number; deliveredMs: number; readMs: number | null };
}

export interface SentMessage {
  body: ValidMessage;
  raw: unknown;
  wamid: string;
  waId: string;
}

export interface Upload {
  id: string;
  bytes: Buffer;
  mime: string;
  type: MediaType;
  sha256: string;
}

export type InboundMessage = { type: 'text'; body: string } | { type: 'image'; mediaId: string; mimeType: string; caption?: string };

const VERSION = String.raw`v\d+\.\d+`;
const MESSAGES = new RegExp(`^/(${VERSION})/([^/]+)/messages$`);
const MEDIA = new RegExp(`^/(${VERSION})/([^/]+)/media$`);
const OBJECT = new RegExp(`^/(${VERSION})/([^/]+)$`);
const DOWNLOAD = /^\/media-download\/([^/]+)$/;
const URL_TTL_MS = 5 * 60_000;

export class FakeGraphServer {
  readonly phoneNumberId: string;
  readonly displayPhoneNumber: string;
  readonly wabaId: string;
  /** The valid token; a test may change it (a token that expired, or was replaced). */
  accessToken: string;
  readonly appSecret: string;
  readonly messages: SentMessage[] = [];
  readonly uploads = new Map<string, Upload>();
  /** Every request: method, path and the status answered. */
  readonly requests: { method: string; path: string; status: number }[] = [];
  /** Recipient digits → the wa_id WhatsApp knows them by. */
  readonly waIds = new Map<string, string>();
  readonly limits: SendLimits;
  statusDelays: { sentMs: number; deliveredMs: number; readMs: number | null };
  private readonly failures: { code: number; times: number; to: string | undefined }[] = [];
  private readonly asyncFailures = new Map<string, number>();
  private webhooks: WebhookSender | undefined;
  private readonly timers = new Set<NodeJS.Timeout>();

  private constructor(
    private readonly server: http.Server,
    o: FakeGraphOptions,
  ) {
    this.phoneNumberId = o.phoneNumberId ?? '100000000000001';
    this.displayPhoneNumber = o.displayPhoneNumber ?? '15550001234';
    this.wabaId = o.wabaId ?? '200000000000002';
    this.accessToken = o.accessToken ?? `EAAG${randomBytes(24).toString('hex')}`;
    this.appSecret = o.appSecret ?? randomBytes(16).toString('hex');
    this.limits = new SendLimits({ perSecond: 80, pairEveryMs: 6_000, pairBurst: 45, ...o.limits });
    this.statusDelays = o.statusDelays ?? { sentMs: 5, deliveredMs: 20, readMs: 40 };
  }

  static async start(o: FakeGraphOptions = {}): Promise<FakeGraphServer> {
    let fake: FakeGraphServer | undefined;
    const server = http.createServer((req, res) => void fake?.handle(req, res));
    fake = new FakeGraphServer(server, o);
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', () => resolve()));
    return fake;
  }

  /** The Graph URL a client is configured with (`graph_url`). */
  get url(): string {
    return `http://127.0.0.1:${(this.server.address() as AddressInfo).port}`;
  }

  /** The next `times` sends (to `to` only, when given) fail synchronously with `code`. */
  fail(code: number, options: { times?: number; to?: string } = {}): void {
    this.failures.push({ code, times: options.times ?? 1, to: options.to });
  }

  /** Sends to `to` are accepted (200), then fail asynchronously with `code` (a `failed` status). */
  failAfterAccept(to: string, code: number): void {
    this.asyncFailures.set(to.replace(/^\+/, ''), code);
  }

  /** Subscribes a webhook: the handshake, then every status and inbound message goes there. */
  async subscribe(url: string, verifyToken: string, options: Partial<Omit<Subscription, 'url' | 'appSecret'>> = {}): Promise<WebhookSender> {
    await verifySubscription(url, verifyToken);
    this.webhooks = new WebhookSender({ url, appSecret: this.appSecret, retryMs: 50, maxAttempts: 5, duplicateEvery: 0, ...options });
    return this.webhooks;
  }

  /** A message from `from` (digits) arrives at the number. */
  inbound(from: string, message: InboundMessage, name = 'Cliente'): string {
    const id = `wamid.${randomBytes(18).toString('base64url')}`;
    const content =
      message.type === 'text'
        ? { text: { body: message.body } }
        : { image: { id: message.mediaId, mime_type: message.mimeType, sha256: '', ...(message.caption !== undefined ? { caption: message.caption } : {}) } };
    this.webhook({
      contacts: [{ profile: { name }, wa_id: from }],
      messages: [{ from, id, timestamp: this.timestamp(), type: message.type, ...content }],
    });
    return id;
  }

  async close(): Promise<void> {
    for (const t of this.timers) clearTimeout(t);
    await this.webhooks?.settled();
    this.server.closeAllConnections();
    await new Promise<void>((resolve) => this.server.close(() => resolve()));
  }

  private timestamp(): string {
    return String(Math.floor(Date.now() / 1000));
  }

  private webhook(value: Record<string, unknown>): void {
    this.webhooks?.deliver({
      object: 'whatsapp_business_account',
      entry: [
        {
          id: this.wabaId,
          changes: [
            {
              field: 'messages',
              value: {
                messaging_product: 'whatsapp',
                metadata: { display_phone_number: this.displayPhoneNumber, phone_number_id: this.phoneNumberId },
                ...value,
              },
            },
          ],
        },
      ],
    });
  }

  private later(ms: number, fn: () => void): void {
    const t = setTimeout(() => {
      this.timers.delete(t);
      fn();
    }, ms);
    this.timers.add(t);
  }

  private async handle(req: http.IncomingMessage, res: http.ServerResponse): Promise<void> {
    const url = new URL(req.url ?? '/', 'http://fake');
    const answer = (status: number, body: unknown, type = 'application/json'): void => {
      this.requests.push({ method: req.method ?? '', path: url.pathname, status });
      res.writeHead(status, { 'content-type': type });
      res.end(Buffer.isBuffer(body) ? body : JSON.stringify(body));
    };
    try {
      const raw = await new Promise<Buffer>((resolve, reject) => {
        const chunks: Buffer[] = [];
        req.on('data', (c: Buffer) => chunks.push(c));
        req.on('end', () => resolve(Buffer.concat(chunks)));
        req.on('error', reject);
      });
      const download = DOWNLOAD.exec(url.pathname);
      const authorized = req.headers.authorization === `Bearer ${this.accessToken}`;
      if (download !== null) {
        const file = this.uploads.get(download[1] ?? '');
        if (!authorized || file === undefined || Number(url.searchParams.get('exp')) < Date.now()) return answer(404, { error: 'not found' });
        return answer(200, file.bytes, file.mime);
      }
      if (!authorized) throw new GraphError(190, 'Missing or invalid access token');
      const send = MESSAGES.exec(url.pathname);
      if (req.method === 'POST' && send !== null) return answer(200, this.send(send[2] ?? '', raw));
      const media = MEDIA.exec(url.pathname);
      if (req.method === 'POST' && media !== null) return answer(200, await this.upload(media[2] ?? '', req, raw));
      const object = OBJECT.exec(url.pathname);
      if (object !== null && (req.method === 'GET' || req.method === 'DELETE')) {
        const id = object[2] ?? '';
        const file = this.uploads.get(id);
        if (file === undefined) throw unknownObject(id);
        if (req.method === 'DELETE') {
          this.uploads.delete(id);
          return answer(200, { success: true });
        }
        return answer(200, {
          messaging_product: 'whatsapp',
          url: `${this.url}/media-download/${id}?exp=${Date.now() + URL_TTL_MS}`,
          mime_type: file.mime,
          sha256: file.sha256,
          file_size: String(file.bytes.length),
          id,
        });
      }
      throw new GraphError(100, `Unknown path components: ${url.pathname}`);
    } catch (err) {
      if (err instanceof GraphError) return answer(err.status, err.body());
      return answer(500, new GraphError(131000, err instanceof Error ? err.message : 'error').body());
    }
  }

  private send(phoneNumberId: string, raw: Buffer): unknown {
    if (phoneNumberId !== this.phoneNumberId) throw unknownObject(phoneNumberId);
    let parsed: unknown;
    try {
      parsed = JSON.parse(raw.toString('utf8'));
    } catch {
      throw new GraphError(100, 'The request body is not JSON');
    }
    const body = validateMessage(parsed, (id) => this.uploads.get(id)?.mime);
    const digits = body.to.replace(/^\+/, '');
    const scripted = this.failures.findIndex((f) => f.to === undefined || f.to.replace(/^\+/, '') === digits);
    const failure = this.failures[scripted];
    if (failure !== undefined) {
      if (--failure.times <= 0) this.failures.splice(scripted, 1);
      throw new GraphError(failure.code, `Scripted failure ${failure.code}`);
    }
    if (!this.limits.throughput(phoneNumberId)) throw new GraphError(130429, `Over ${this.limits.options.perSecond} messages per second`);
    if (!this.limits.pair(phoneNumberId, digits)) throw new GraphError(131056, `Too many messages to ${digits}`);
    const wamid = `wamid.${randomBytes(24).toString('base64url')}`;
    const waId = this.waIds.get(digits) ?? digits;
    this.messages.push({ body, raw: parsed, wamid, waId });
    this.followUp(wamid, waId, digits, body);
    return { messaging_product: 'whatsapp', contacts: [{ input: body.to, wa_id: waId }], messages: [{ id: wamid }] };
  }

  /** The statuses a 200 is followed by. */
  private followUp(wamid: string, waId: string, digits: string, body: ValidMessage): void {
    const status = (name: string, extra: Record<string, unknown> = {}) =>
      this.webhook({ statuses: [{ id: wamid, status: name, timestamp: this.timestamp(), recipient_id: waId, ...extra }] });
    const failed = (code: number) => {
      const spec = GRAPH_ERRORS[code];
      status('failed', { errors: [{ code, title: spec?.title ?? 'Error', message: spec?.title ?? 'Error', error_data: { details: spec?.title ?? '' } }] });
    };
    const code = this.asyncFailures.get(digits);
    const { sentMs, deliveredMs, readMs } = this.statusDelays;
    this.later(sentMs, () => {
      if (code !== undefined) return failed(code);
      const link = body.media?.link;
      const fetched =
        link === undefined
          ? Promise.resolve(true)
          : fetch(link, { signal: AbortSignal.timeout(5_000) }).then(
              (r) => r.ok,
              () => false,
            );
      void fetched.then((ok) => {
        if (!ok) return failed(131053);
        status('sent');
        this.later(deliveredMs, () => status('delivered'));
        if (readMs !== null) this.later(readMs, () => status('read'));
      });
    });
  }

  private async upload(phoneNumberId: string, req: http.IncomingMessage, raw: Buffer): Promise<unknown> {
    if (phoneNumberId !== this.phoneNumberId) throw unknownObject(phoneNumberId);
    let form: FormData;
    try {
      form = await new Request('http://fake/upload', { method: 'POST', headers: { 'content-type': req.headers['content-type'] ?? '' }, body: raw }).formData();
    } catch {
      throw new GraphError(100, 'The upload must be multipart/form-data');
    }
    if (form.get('messaging_product') !== 'whatsapp') throw new GraphError(100, 'The parameter messaging_product is required and must be "whatsapp"');
    const file = form.get('file');
    if (file === null || typeof file === 'string') throw new GraphError(131008, "Parameter 'file' is required");
    const type = uploadTypeOf(file.type);
    if (type === undefined) {
      const all = Object.values(UPLOAD_LIMITS).flatMap((l) => l.mimes);
      throw new GraphError(100, `Param file must be a file with one of the following types: ${all.join(', ')}. Received file of type '${file.type}'.`);
    }
    const bytes = Buffer.from(await file.arrayBuffer());
    const max = UPLOAD_LIMITS[type].maxBytes;
    if (bytes.length > max) throw new GraphError(131053, `The ${type} file is ${bytes.length} bytes; at most ${max} are accepted`);
    const id = String(BigInt(`0x${randomBytes(7).toString('hex')}`));
    this.uploads.set(id, { id, bytes, mime: file.type, type, sha256: createHash('sha256').update(bytes).digest('hex') });
    return { id };
  }
}
