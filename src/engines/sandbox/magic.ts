/**
 * Documented magic numbers of the sandbox (US fictional 555-01xx range, which
 * no real subscriber has). Every other number is an ordinary recipient that
 * receives, is delivered to, and reads each message.
 *
 * | number        | behaviour                                                |
 * | ------------- | -------------------------------------------------------- |
 * | 15550100404   | not on WhatsApp: fails at once, `recipient_not_on_whatsapp` |
 * | 1555010050N   | N = 1..9: fails transiently N times, then is delivered    |
 * | 15550100599   | always fails transiently (retries run out)               |
 * | 15550100200   | delivered, never read                                    |
 */
export type SandboxBehaviour = { kind: 'normal' } | { kind: 'not_on_whatsapp' } | { kind: 'flaky'; failures: number } | { kind: 'never_read' };

export const MAGIC_NUMBERS = {
  notOnWhatsApp: '15550100404',
  flakyPrefix: '1555010050',
  alwaysFlaky: '15550100599',
  neverRead: '15550100200',
} as const;

export function behaviourFor(recipient: string): SandboxBehaviour {
  if (recipient === MAGIC_NUMBERS.notOnWhatsApp) return { kind: 'not_on_whatsapp' };
  if (recipient === MAGIC_NUMBERS.neverRead) return { kind: 'never_read' };
  if (recipient === MAGIC_NUMBERS.alwaysFlaky) return { kind: 'flaky', failures: Number.POSITIVE_INFINITY };
  if (recipient.length === 11 && recipient.startsWith(MAGIC_NUMBERS.flakyPrefix)) {
    const n = Number(recipient.slice(-1));
    if (n >= 1) return { kind: 'flaky', failures: n };
  }
  return { kind: 'normal' };
}
