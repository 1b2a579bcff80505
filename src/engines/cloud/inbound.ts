/**
 * What Meta sends to a `cloud` instance's webhook URL
 * (`/api/v1/cloud/{instance_id}/webhook`): the verification handshake, and
 * signed notifications. The signature (`X-Hub-Signature-256`, HMAC-SHA256
 * of the raw body with the app secret) is checked before anything is read;
 * a body without a valid one changes nothing. Statuses, messages and
 * reactions are then written durably before the answer, so Meta's retries
 * and duplicates are harmless (each is kept once) and a failed write is
 * answered 5xx for Meta to retry. Media files are fetched later, on request.
 */
import { createHmac, timingSafeEqual } from 'node:crypto';
import type { Readable } from 'node:stream';
import { ApiError, CodedError } from '../../domain/errors.js';
import type { InboundChange, InboundMessage } from '../../domain/inbound.js';
import type { CloudStatements } from '../../store/cloud.js';
import type { ReceiptSink } from '../engine.js';
import type { CloudAccounts } from './accounts.js';
import { GraphClient } from './graph-client.js';
import { GraphApiError } from './graph-error.js';
import { receiptsOf } from './statuses.js';
import { readWebhook } from './webhook-payload.js';

/** Where received messages and reactions are kept (the same place as Baileys' ones). */
export interface InboundLog {
  saveInbound(instanceId: string, messages: InboundMessage[], receivedAt: number): Promise<void>;
  saveChanges(instanceId: string, changes: InboundChange[], receivedAt: number): Promise<void>;
}

function sameSecret(a: string, b: string): boolean {
  const x = Buffer.from(a, 'utf8');
  const y = Buffer.from(b, 'utf8');
  return x.length === y.length && timingSafeEqual(x, y);
}

/** Whether `header` is `sha256=<hex HMAC-SHA256(appSecret, raw)>`. */
export function signatureValid(appSecret: string, raw: Buffer, header: string | undefined): boolean {
  const hex = header === undefined ? undefined : /^sha256=([0-9a-f]{64})$/i.exec(header)?.[1];
  if (hex === undefined) return false;
  const given = Buffer.from(hex, 'hex');
  const expected = createHmac('sha256', appSecret).update(raw).digest();
  return given.length === expected.length && timingSafeEqual(given, expected);
}

export class CloudInbound {
  constructor(
    private readonly accounts: CloudAccounts,
    private readonly rows: CloudStatements,
    private readonly log: InboundLog,
    private readonly receipts: ReceiptSink,
    private readonly now: () => number = Date.now,
  ) {}

  private async account(instanceId: string) {
    const account = await this.accounts.get(instanceId);
    if (account === undefined) throw new ApiError(404, 'instance_not_found', 'No cloud instance with this instance_id exists');
    return account;
  }

  /** Whether a cloud instance of this id exists (checked before a notification's body is read). */
  async knows(instanceId: string): Promise<boolean> {
    return (await this.accounts.get(instanceId)) !== undefined;
  }

  /** The GET handshake: the challenge back when the verify token matches. */
  async handshake(instanceId: string, mode: unknown, token: unknown, challenge: unknown): Promise<string> {
    const account = await this.account(instanceId);
    if (mode !== 'subscribe' || typeof token !== 'string' || !sameSecret(token, account.verifyToken)) {
      throw new ApiError(403, 'verification_failed', "hub.mode must be subscribe and hub.verify_token the instance's verify_token");
    }
    if (typeof challenge !== 'string' || challenge === '' || challenge.length > 200) {
      throw new ApiError(400, 'challenge_required', 'hub.challenge is required', [
        { field: 'hub.challenge', code: 'challenge_required', message: 'hub.challenge is required' },
      ]);
    }
    return challenge;
  }

  /** A signed notification: checked, then kept. */
  async receive(instanceId: string, raw: Buffer, signature: string | undefined): Promise<void> {
    const account = await this.account(instanceId);
    if (!signatureValid(account.appSecret, raw, signature)) {
      throw new ApiError(401, 'invalid_signature', 'X-Hub-Signature-256 is missing or does not match the body signed with the app secret');
    }
    let body: unknown;
    try {
      body = JSON.parse(raw.toString('utf8'));
    } catch {
      throw new ApiError(400, 'invalid_json', 'The webhook body is not JSON');
    }
    const at = this.now();
    const content = readWebhook(body, account.phoneNumberId, at);
    if (content.messages.length > 0) await this.log.saveInbound(instanceId, content.messages, at);
    if (content.changes.length > 0) await this.log.saveChanges(instanceId, content.changes, at);
    if (content.statuses.length === 0) return;
    const matched = await this.rows.recordStatuses(instanceId, content.statuses, at);
    if (matched.length > 0) await this.receipts.record(receiptsOf(matched));
  }

  /** A received file, through Meta's short-lived authenticated URL. */
  async download(instanceId: string, stored: Buffer): Promise<Readable> {
    const account = await this.accounts.get(instanceId);
    if (account === undefined) throw new CodedError('instance_not_found', 'This cloud instance has no Cloud API settings');
    const client = GraphClient.of(account);
    try {
      const info = await client.mediaInfo(stored.toString('utf8'));
      return await client.download(info.url);
    } catch (err) {
      if (err instanceof GraphApiError) throw new CodedError('media_unavailable', `Meta did not give the file (Cloud API error ${err.code}: ${err.message})`);
      throw err;
    }
  }
}
