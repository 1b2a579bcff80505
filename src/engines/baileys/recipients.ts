/**
 * Phone numbers as WhatsApp knows them. Brazilian mobiles exist on WhatsApp
 * with or without the ninth digit depending on when the account was made, so
 * both forms are asked for in one lookup and the id WhatsApp returns is used.
 */
export const USER_SERVER = '@s.whatsapp.net';

export function phoneJid(digits: string): string {
  return `${digits}${USER_SERVER}`;
}

/** A Brazilian mobile: 55, a two-digit area code (DDD), then 9 digits starting with 9, or 8 starting with 6-9. */
export function brazilianMobileForms(digits: string): string[] | undefined {
  const m = /^55(\d{2})(\d{8,9})$/.exec(digits);
  if (m === null) return undefined;
  const [, ddd = '', local = ''] = m;
  if (local.length === 9 && local.startsWith('9')) return [digits, `55${ddd}${local.slice(1)}`];
  if (local.length === 8 && /^[6-9]/.test(local)) return [`55${ddd}9${local}`, digits];
  return undefined;
}

/** The numbers to look up for a recipient: both Brazilian forms, or just the number. */
export function lookupCandidates(digits: string): string[] {
  return brazilianMobileForms(digits) ?? [digits];
}

/**
 * When a lookup cannot be made, the form to try (Evolution API's rule):
 * keep the 9 for area codes below 31 or local numbers starting below 7.
 */
export function brazilianFallback(digits: string): string {
  const forms = brazilianMobileForms(digits);
  if (forms === undefined) return digits;
  const [withNine = digits, withoutNine = digits] = forms;
  const ddd = Number(withNine.slice(2, 4));
  const first = Number(withoutNine.charAt(4));
  return ddd < 31 || first < 7 ? withNine : withoutNine;
}
