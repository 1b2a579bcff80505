/**
 * Resolves a phone number to the WhatsApp id to send to, once per instance
 * and number (cached): Brazilian mobiles are asked for with and without the
 * ninth digit in one lookup, and the id WhatsApp returns is used. A number
 * that is not on WhatsApp is remembered too, so it fails without a lookup.
 */
import { CodedError } from '../../domain/errors.js';
import { lookupCandidates } from './recipients.js';
import type { WASocketPort } from './socket-port.js';

export class RecipientResolver {
  private readonly cache = new Map<string, { jid: string | null; expires: number }>();

  constructor(
    private readonly ttlMs = 24 * 60 * 60_000,
    private readonly capacity = 50_000,
    private readonly now: () => number = Date.now,
  ) {}

  async resolve(instanceId: string, socket: Pick<WASocketPort, 'onWhatsApp'>, digits: string): Promise<string> {
    const jid = await this.find(instanceId, socket, digits);
    if (jid === null) throw new CodedError('recipient_not_on_whatsapp', `The number ${digits} is not on WhatsApp`);
    return jid;
  }

  /** The WhatsApp id of a number, or null when it is not on WhatsApp. */
  async find(instanceId: string, socket: Pick<WASocketPort, 'onWhatsApp'>, digits: string): Promise<string | null> {
    const key = `${instanceId}\u0000${digits}`;
    const hit = this.cache.get(key);
    return hit !== undefined && hit.expires > this.now() ? hit.jid : this.lookup(socket, digits, key);
  }

  private async lookup(socket: Pick<WASocketPort, 'onWhatsApp'>, digits: string, key: string): Promise<string | null> {
    const candidates = lookupCandidates(digits);
    let results: { jid: string; exists: boolean }[] | undefined;
    try {
      results = await socket.onWhatsApp(...candidates);
    } catch {
      results = undefined;
    }
    // No answer (an error, or a reply Baileys could not read) is not "not on WhatsApp": never cached.
    if (results === undefined) throw new CodedError('recipient_lookup_failed', 'Could not check whether the number is on WhatsApp; will retry', true);
    const found =
      candidates.map((c) => results?.find((r) => r.exists && r.jid.split('@')[0] === c)?.jid).find((j) => j !== undefined) ??
      results?.find((r) => r.exists)?.jid ??
      null;
    if (this.cache.size >= this.capacity) this.cache.clear();
    this.cache.set(key, { jid: found, expires: this.now() + this.ttlMs });
    return found;
  }
}
