/**
 * Meta calling a subscribed webhook, as the fake does it: the GET handshake
 * (`hub.mode=subscribe`, `hub.verify_token`, `hub.challenge` echoed back),
 * then POSTs of `whatsapp_business_account` payloads whose non-ASCII
 * characters are escaped (`\uXXXX`) and which are signed over those exact
 * bytes (`X-Hub-Signature-256: sha256=<hex HMAC-SHA256(app secret)>`).
 * A delivery that does not get a 200 is retried with backoff; `duplicateEvery`
 * delivers every nth payload twice, as Meta occasionally does.
 */
import { createHmac, randomBytes } from 'node:crypto';

export interface Subscription {
  url: string;
  appSecret: string;
  /** First retry delay; doubles per attempt. */
  retryMs: number;
  maxAttempts: number;
  duplicateEvery: number;
}

export interface DeliveryLog {
  body: string;
  signature: string;
  status: number | 'network';
  attempt: number;
}

/** JSON with every character outside ASCII escaped, as Meta sends it. */
export function metaJson(value: unknown): string {
  return JSON.stringify(value).replace(/[\u007f-\uffff]/g, (c) => `\\u${c.charCodeAt(0).toString(16).padStart(4, '0')}`);
}

export function metaSignature(appSecret: string, raw: string | Buffer): string {
  return `sha256=${createHmac('sha256', appSecret).update(raw).digest('hex')}`;
}

/** Does the handshake; throws unless the endpoint echoes the challenge with a 200. */
export async function verifySubscription(url: string, verifyToken: string): Promise<void> {
  const challenge = randomBytes(8).toString('hex');
  const u = new URL(url);
  u.searchParams.set('hub.mode', 'subscribe');
  u.searchParams.set('hub.verify_token', verifyToken);
  u.searchParams.set('hub.challenge', challenge);
  const res = await fetch(u);
  const body = await res.text();
  if (res.status !== 200 || body !== challenge) throw new Error(`webhook verification failed: ${res.status} ${body.slice(0, 80)}`);
}

export class WebhookSender {
  readonly log: DeliveryLog[] = [];
  private sent = 0;
  private readonly pending = new Set<Promise<void>>();

  constructor(private readonly sub: Subscription) {}

  /** Delivers a payload (retrying in the background); `settled` waits for every delivery in flight. */
  deliver(payload: unknown): void {
    const body = metaJson(payload);
    this.sent++;
    const copies = this.sub.duplicateEvery > 0 && this.sent % this.sub.duplicateEvery === 0 ? 2 : 1;
    for (let i = 0; i < copies; i++) {
      const p = this.attempt(body, 1).finally(() => this.pending.delete(p));
      this.pending.add(p);
    }
  }

  async settled(): Promise<void> {
    while (this.pending.size > 0) await Promise.allSettled([...this.pending]);
  }

  private async attempt(body: string, attempt: number): Promise<void> {
    const signature = metaSignature(this.sub.appSecret, body);
    let status: number | 'network';
    try {
      const res = await fetch(this.sub.url, { method: 'POST', headers: { 'content-type': 'application/json', 'x-hub-signature-256': signature }, body });
      status = res.status;
      await res.arrayBuffer();
    } catch {
      status = 'network';
    }
    this.log.push({ body, signature, status, attempt });
    if (status === 200 || attempt >= this.sub.maxAttempts) return;
    await new Promise((r) => setTimeout(r, this.sub.retryMs * 2 ** (attempt - 1)));
    await this.attempt(body, attempt + 1);
  }
}
