/**
 * What to do when a WhatsApp Web connection closes, by Baileys' status code
 * (lastDisconnect.error.output.statusCode). See shared/reference/baileys.md.
 */
export type DisconnectAction =
  /** 515 right after pairing: open a new socket at once with the same auth. */
  | { kind: 'restart_now' }
  /** Network or stream trouble: reconnect after a backoff with jitter. */
  | { kind: 'reconnect'; alert?: string }
  /** Unlinked on the phone or by logout(): forget the session, do not reconnect. */
  | { kind: 'logged_out' }
  /** Banned or blocked: stop and report. */
  | { kind: 'banned'; reason: string }
  /** Needs a person: stop and report why. */
  | { kind: 'failed'; reason: string };

/** 405 closes in a row before the session stops as `client_outdated`. */
export const MAX_OUTDATED = 3;
/** 515 restarts in a row made at once; after that each waits for the backoff like any reconnect. */
export const MAX_QUICK_RESTARTS = 3;

/**
 * @param linked whether the session had completed pairing (registered creds).
 * @param showedQr whether this connection had shown QR codes: a 408 then means
 *   they ran out unscanned; otherwise a 408 is a timeout like any other.
 * @param inARow how many closes in a row had this same status code, this one included.
 */
export function onDisconnect(statusCode: number | undefined, linked: boolean, showedQr = false, inARow = 1): DisconnectAction {
  switch (statusCode) {
    case 515:
      // Expected once after pairing; a server that keeps asking must not get a tight loop.
      return inARow <= MAX_QUICK_RESTARTS
        ? { kind: 'restart_now' }
        : { kind: 'reconnect', alert: 'WhatsApp asked for a restart (515) again and again; reconnecting with backoff' };
    case 401:
      return { kind: 'logged_out' };
    case 402:
    case 403:
    case 406:
      return { kind: 'banned', reason: `WhatsApp refused the session (${statusCode}): the number may be banned or blocked` };
    case 419:
      // Baileys counts it among the unauthorized codes (with 401 and 403); redialling gets the same answer.
      // The keys are kept: a restart tries again, a logout and a new link always work.
      return { kind: 'failed', reason: 'WhatsApp no longer accepts this session (419): restart the instance, or log out and link the number again' };
    case 411:
      return { kind: 'failed', reason: 'Multi-device mismatch (411): link the number again' };
    case 440:
      // Another socket took over the same creds; reconnecting blindly would fight it.
      return { kind: 'failed', reason: 'The session was opened elsewhere (440): only one connection may use it' };
    case 408:
      return !linked && showedQr ? { kind: 'failed', reason: 'The QR code was not scanned in time (408): request a new one' } : { kind: 'reconnect' };
    case 405:
      // Once may be a hiccup; again and again means WhatsApp retired this version: redialling changes nothing.
      return inARow >= MAX_OUTDATED
        ? {
            kind: 'failed',
            reason:
              'client_outdated: WhatsApp no longer accepts this client version (405); set CONNEXA_WHATSAPP_VERSION to the current WhatsApp Web version or update Connexa',
          }
        : { kind: 'reconnect', alert: 'WhatsApp rejected the client version (405); update Connexa if this persists' };
    default:
      // 428, 500, 503 and anything unknown: transient trouble.
      return { kind: 'reconnect' };
  }
}
