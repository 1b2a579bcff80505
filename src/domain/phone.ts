/**
 * Phone numbers arrive as people type them. We accept digits with the country
 * code, tolerate `+`, spaces, dashes, dots and parentheses, and require the
 * result to be a possible number (right length) for its country calling code.
 * Validity beyond length is WhatsApp's business: a number that is possible but
 * unassigned simply is not on WhatsApp.
 */
import { parsePhoneNumberFromString } from 'libphonenumber-js/min';
import { fieldError, type ApiError } from './errors.js';

const TOLERATED = /[\s+\-.()]/g;

export type PhoneResult = { ok: true; digits: string } | { ok: false; error: ApiError };

export function normalizePhone(input: unknown, field = 'phone'): PhoneResult {
  if (input === undefined || input === null || (typeof input === 'string' && input.trim() === '')) {
    return { ok: false, error: fieldError(field, 'phone_required', `${field} is required: the recipient's number with its country code, e.g. 554499999999`) };
  }
  if (typeof input !== 'string') {
    return { ok: false, error: fieldError(field, 'invalid_phone', `${field} must be a string of digits with the country code, e.g. "554499999999"`) };
  }
  const digits = input.replace(TOLERATED, '');
  if (!/^\d+$/.test(digits)) {
    return { ok: false, error: fieldError(field, 'invalid_phone', `${field} may contain only digits and the separators + - . ( ) and spaces`) };
  }
  if (digits.startsWith('0')) {
    return { ok: false, error: fieldError(field, 'invalid_phone', `${field} must start with the country code, without a leading 0 or 00 (e.g. 554499999999)`) };
  }
  const parsed = digits.length <= 15 ? parsePhoneNumberFromString(`+${digits}`) : undefined;
  if (parsed === undefined || !parsed.isPossible()) {
    return { ok: false, error: fieldError(field, 'invalid_phone', `${field} "${digits}" is not a possible phone number for its country code`) };
  }
  return { ok: true, digits: parsed.number.slice(1) };
}

/**
 * Parsing costs ~10 µs; senders repeat the same recipients (campaigns, chats),
 * so a small bounded cache of successful results keeps it off the hot path.
 */
export class PhoneNormalizer {
  private readonly cache = new Map<string, string>();
  constructor(private readonly capacity = 10_000) {}

  normalize(input: unknown, field = 'phone'): PhoneResult {
    if (typeof input === 'string') {
      const hit = this.cache.get(input);
      if (hit !== undefined) return { ok: true, digits: hit };
    }
    const result = normalizePhone(input, field);
    if (result.ok && typeof input === 'string') {
      if (this.cache.size >= this.capacity) this.cache.clear();
      this.cache.set(input, result.digits);
    }
    return result;
  }
}
