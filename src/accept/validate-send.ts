/**
 * Turns a send request body into a validated NewMessage, or a 400 naming the
 * field at fault with a stable code. Inline (base64) media is decoded,
 * sniffed and checked here, so a bad file is refused before it is stored.
 * URL media is only checked for syntax; the dispatcher fetches it.
 */
import { createHash } from 'node:crypto';
import { CodedError, fieldError, type ApiError } from '../domain/errors.js';
import { CAPTION_MAX_CHARS, TEXT_MAX_CHARS, type MessageType, type NewMessage } from '../domain/message.js';
import type { PhoneNormalizer } from '../domain/phone.js';
import { decodeBase64Media } from '../media/base64.js';
import { documentFilename, sanitizeFilename } from '../media/filename.js';
import { maxBytesFor, type MediaKind } from '../media/kinds.js';
import { checkMediaUrlSyntax } from '../media/safe-fetch.js';
import { sniffMedia } from '../media/sniff.js';

/** A media send's `data.base64`, decoded while its body arrived (http/media-body.ts). */
export interface StreamedBase64 {
  bytes: Buffer;
  declaredMime: string | undefined;
  /** SHA-256 (hex) of the decoded file. */
  sha256: string;
  /** SHA-256 (base64url) of `data.base64` as sent, what an idempotency key binds (only computed for a request with one). */
  textDigest: string | undefined;
}

export interface SendValidationOptions {
  mediaMaxBytes: number;
  allowPrivateNetworks: boolean;
}

export interface SendBody {
  phone?: unknown;
  data?: unknown;
}

interface MediaData {
  text?: unknown;
  url?: unknown;
  base64?: unknown;
  filename?: unknown;
  mimetype?: unknown;
}

function optionalString(value: unknown, field: string): string | undefined {
  if (value === undefined || value === null) return undefined;
  if (typeof value !== 'string') throw fieldError(field, 'invalid_type', `${field} must be a string`);
  return value;
}

function asApiError(err: unknown, field: string): ApiError {
  if (err instanceof CodedError) return fieldError(field, err.code, err.message);
  throw err;
}

function checkText(text: string | undefined, type: MessageType): string | undefined {
  if (type === 'text') {
    if (text === undefined || text.trim() === '')
      throw fieldError('data.text', 'text_required', 'data.text is required and must not be empty for a text message');
    if ([...text].length > TEXT_MAX_CHARS) throw fieldError('data.text', 'text_too_long', `data.text is longer than ${TEXT_MAX_CHARS} characters`);
    return text;
  }
  if (text === undefined || text === '') return undefined;
  // Audio cannot carry a caption: its text goes out as a separate text message.
  const max = type === 'audio' ? TEXT_MAX_CHARS : CAPTION_MAX_CHARS;
  if ([...text].length > max) throw fieldError('data.text', 'text_too_long', `data.text (the caption) is longer than ${max} characters`);
  return text;
}

export class SendValidator {
  constructor(
    private readonly phones: PhoneNormalizer,
    private readonly options: SendValidationOptions,
    private readonly newId: () => string,
    private readonly now: () => number = Date.now,
  ) {}

  /** `streamed`: `data.base64` already decoded while the body arrived (its place in `body` holds ''). */
  async validate(type: MessageType, instanceId: string, body: SendBody, streamed?: StreamedBase64): Promise<NewMessage> {
    const phoneInput = typeof body.phone === 'number' && Number.isSafeInteger(body.phone) ? String(body.phone) : body.phone;
    const phone = this.phones.normalize(phoneInput);
    if (!phone.ok) throw phone.error;
    const data = body.data;
    if (data === undefined || data === null) throw fieldError('data', 'data_required', 'data is required: an object with the message content');
    if (typeof data !== 'object' || Array.isArray(data)) throw fieldError('data', 'invalid_type', 'data must be an object');
    const d = data as MediaData;
    const text = checkText(optionalString(d.text, 'data.text'), type);
    const base = { id: this.newId(), instanceId, type, recipient: phone.digits, text, acceptedAt: this.now() };
    if (type === 'text') return { ...base, media: undefined };
    return { ...base, media: await this.media(type, d, streamed) };
  }

  private async media(kind: MediaKind, d: MediaData, streamed: StreamedBase64 | undefined): Promise<NonNullable<NewMessage['media']>> {
    const url = optionalString(d.url, 'data.url');
    const b64 = optionalString(d.base64, 'data.base64');
    const requestedMime = optionalString(d.mimetype, 'data.mimetype');
    const givenName = optionalString(d.filename, 'data.filename');
    let requestedFilename: string | undefined;
    if (givenName !== undefined && givenName !== '') {
      requestedFilename = sanitizeFilename(givenName);
      if (requestedFilename === undefined) throw fieldError('data.filename', 'invalid_filename', 'data.filename must be a plain file name such as report.pdf');
    }
    const hasUrl = url !== undefined && url !== '';
    const hasB64 = streamed !== undefined || (b64 !== undefined && b64 !== '');
    if (hasUrl && hasB64) {
      throw fieldError('data', 'media_source_conflict', 'Send the media as either data.url or data.base64, not both');
    }
    if (!hasUrl && !hasB64) {
      throw fieldError('data', 'media_source_required', `A ${kind} message needs its file: data.url (http or https) or data.base64`);
    }
    if (hasUrl) {
      const problem = checkMediaUrlSyntax(url, this.options.allowPrivateNetworks);
      if (problem !== undefined) throw asApiError(problem, 'data.url');
      return { kind, source: { kind: 'url', url }, bytes: undefined, info: undefined, requestedFilename, requestedMime };
    }
    let decoded: { bytes: Buffer; declaredMime: string | undefined };
    let sniffed: Awaited<ReturnType<typeof sniffMedia>>;
    try {
      decoded = streamed ?? decodeBase64Media(b64 ?? '', maxBytesFor(kind, this.options.mediaMaxBytes));
      sniffed = await sniffMedia(decoded.bytes, kind, { declaredMime: requestedMime ?? decoded.declaredMime, filename: requestedFilename });
    } catch (err) {
      throw asApiError(err, 'data.base64');
    }
    const filename = kind === 'document' ? documentFilename({ given: requestedFilename, mime: sniffed.mime, extension: sniffed.extension }) : undefined;
    return {
      kind,
      source: { kind: 'inline' },
      bytes: decoded.bytes,
      info: {
        mime: sniffed.mime,
        size: decoded.bytes.length,
        sha256: streamed?.sha256 ?? createHash('sha256').update(decoded.bytes).digest('hex'),
        filename,
        voiceNote: sniffed.voiceNote === true,
      },
      requestedFilename,
      requestedMime,
    };
  }
}
