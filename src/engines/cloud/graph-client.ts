/**
 * Calls to Meta's Graph API for one phone number: send a message, upload a
 * file (multipart, from the bytes Connexa already validated), look a media
 * id up and download it with the token. The Graph URL and version are the
 * instance's (Meta's by default; tests and proxies point elsewhere). The
 * token goes in the Authorization header only, never in a URL or an error.
 */
import { pipeline, Transform, type Readable } from 'node:stream';
import { FormData, request } from 'undici';
import { GraphApiError } from './graph-error.js';

export interface GraphTarget {
  /** e.g. https://graph.facebook.com */
  graphUrl: string;
  /** e.g. v25.0 */
  version: string;
  phoneNumberId: string;
  accessToken: string;
}

export interface SendAnswer {
  /** The message id (`wamid.…`). */
  wamid: string;
  /** The id WhatsApp knows the recipient by (may differ from the number sent to). */
  waId: string | undefined;
}

export interface MediaInfo {
  url: string;
  mimeType: string;
  sha256: string;
  size: number;
}

const TIMEOUT_MS = 30_000;
/** Meta's largest media (documents): 100 MB. */
const MAX_DOWNLOAD_BYTES = 100 * 1024 * 1024;

interface GraphErrorBody {
  error?: { message?: unknown; code?: unknown; error_subcode?: unknown; error_data?: { details?: unknown } };
}

function errorOf(status: number, body: unknown): GraphApiError {
  const e = (body as GraphErrorBody | undefined)?.error;
  const code = typeof e?.code === 'number' ? e.code : 0;
  const subcode = typeof e?.error_subcode === 'number' ? e.error_subcode : undefined;
  const details = typeof e?.error_data?.details === 'string' ? e.error_data.details : '';
  const message = typeof e?.message === 'string' ? e.message : `HTTP ${status}`;
  return new GraphApiError(status, code, subcode, details, message);
}

export class GraphClient {
  constructor(private readonly target: GraphTarget) {}

  /** The client of a cloud instance's account. */
  static of(account: { graphUrl: string; graphVersion: string; phoneNumberId: string; accessToken: string }): GraphClient {
    return new GraphClient({
      graphUrl: account.graphUrl,
      version: account.graphVersion,
      phoneNumberId: account.phoneNumberId,
      accessToken: account.accessToken,
    });
  }

  private base(): string {
    return `${this.target.graphUrl.replace(/\/+$/, '')}/${this.target.version}`;
  }

  private async call(method: 'GET' | 'POST' | 'DELETE', path: string, body?: { json: unknown } | { form: FormData }): Promise<unknown> {
    const headers: Record<string, string> = { authorization: `Bearer ${this.target.accessToken}` };
    let payload: string | FormData | undefined;
    if (body !== undefined && 'json' in body) {
      headers['content-type'] = 'application/json';
      payload = JSON.stringify(body.json);
    } else if (body !== undefined) {
      payload = body.form;
    }
    let res;
    try {
      res = await request(`${this.base()}${path}`, {
        method,
        headers,
        ...(payload !== undefined ? { body: payload } : {}),
        headersTimeout: TIMEOUT_MS,
        bodyTimeout: TIMEOUT_MS,
      });
    } catch (err) {
      // The network: no answer from Graph at all (retried like Meta's own unavailability).
      throw new GraphApiError(503, 131000, undefined, err instanceof Error ? err.message.slice(0, 200) : 'network error', 'Graph API unreachable');
    }
    const text = await res.body.text();
    let parsed: unknown;
    try {
      parsed = text === '' ? undefined : JSON.parse(text);
    } catch {
      parsed = undefined;
    }
    if (res.statusCode < 200 || res.statusCode >= 300) throw errorOf(res.statusCode, parsed);
    return parsed;
  }

  /** POST /{phone-number-id}/messages with a body built by message-body.ts. */
  async send(body: Record<string, unknown>): Promise<SendAnswer> {
    const answer = (await this.call('POST', `/${this.target.phoneNumberId}/messages`, {
      json: { messaging_product: 'whatsapp', recipient_type: 'individual', ...body },
    })) as { messages?: { id?: unknown }[]; contacts?: { wa_id?: unknown }[] } | undefined;
    const wamid = answer?.messages?.[0]?.id;
    if (typeof wamid !== 'string') throw new GraphApiError(502, 131000, undefined, 'no message id in the answer', 'Unexpected Graph API answer');
    const waId = answer?.contacts?.[0]?.wa_id;
    return { wamid, waId: typeof waId === 'string' ? waId : undefined };
  }

  /** Uploads a file; resolves to its media id. */
  async upload(bytes: Buffer, mime: string, filename = 'file'): Promise<string> {
    const form = new FormData();
    form.set('messaging_product', 'whatsapp');
    form.set('type', mime);
    form.set('file', new Blob([new Uint8Array(bytes)], { type: mime }), filename);
    const answer = (await this.call('POST', `/${this.target.phoneNumberId}/media`, { form })) as { id?: unknown } | undefined;
    if (typeof answer?.id !== 'string') throw new GraphApiError(502, 131000, undefined, 'no media id in the answer', 'Unexpected Graph API answer');
    return answer.id;
  }

  /** A received or uploaded file's short-lived URL and facts. */
  async mediaInfo(mediaId: string): Promise<MediaInfo> {
    const a = (await this.call('GET', `/${encodeURIComponent(mediaId)}`)) as { url?: unknown; mime_type?: unknown; sha256?: unknown; file_size?: unknown };
    if (typeof a.url !== 'string') throw new GraphApiError(502, 131000, undefined, 'no url in the answer', 'Unexpected Graph API answer');
    return { url: a.url, mimeType: String(a.mime_type ?? ''), sha256: String(a.sha256 ?? ''), size: Number(a.file_size ?? 0) };
  }

  /**
   * The file at a media URL (it needs the token), streamed and cut off past
   * `maxBytes`. The token goes only to an https URL (or to plain http when the
   * Graph URL itself is, as in tests).
   */
  async download(url: string, maxBytes = MAX_DOWNLOAD_BYTES): Promise<Readable> {
    const target = new URL(url);
    const plainAllowed = new URL(this.target.graphUrl).protocol === 'http:';
    if (target.protocol !== 'https:' && !(plainAllowed && target.protocol === 'http:')) {
      throw new GraphApiError(502, 131053, undefined, 'the media URL is not https', 'Media download refused');
    }
    const res = await request(url, { headers: { authorization: `Bearer ${this.target.accessToken}` }, headersTimeout: TIMEOUT_MS, bodyTimeout: TIMEOUT_MS });
    const length = Number(res.headers['content-length'] ?? 0);
    if (res.statusCode !== 200 || length > maxBytes) {
      res.body.destroy();
      const why = res.statusCode !== 200 ? `the media URL answered ${res.statusCode}` : `the file is ${length} bytes, over ${maxBytes}`;
      throw new GraphApiError(res.statusCode === 200 ? 502 : res.statusCode, 131053, undefined, why, 'Media download failed');
    }
    let seen = 0;
    const capped = new Transform({
      transform(chunk: Buffer, _enc, done) {
        seen += chunk.length;
        done(seen > maxBytes ? new Error(`the file is over ${maxBytes} bytes`) : null, chunk);
      },
    });
    return pipeline(res.body, capped, () => undefined);
  }
}
