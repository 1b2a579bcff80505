/**
 * One WhatsApp Web session (one instance): connects, shows QR codes, pairs,
 * reconnects by the disconnect table, and reports every state change. One
 * connection attempt at a time: a closed socket is ended and its listeners
 * dropped before the next is built, so reconnects never leak sockets.
 */
import type { BaileysEventMap, BinaryNode, ConnectionState } from 'baileys';
import { CodedError } from '../../domain/errors.js';
import type { Logger } from 'pino';
import { retryDelayMs } from '../../util/backoff.js';
import type { AuthStore, DatabaseAuthState } from './auth-store.js';
import { onDisconnect } from './disconnect-policy.js';
import type { SocketFactory, WASocketPort } from './socket-port.js';
import type { SessionSnapshot } from '../../domain/session.js';

export type { SessionSnapshot, SessionState } from '../../domain/session.js';

/** Attaches a listener to the current socket; it is detached with the socket. */
export type Listen = <K extends keyof BaileysEventMap>(event: K, listener: (arg: BaileysEventMap[K]) => void) => void;

export interface SessionOptions {
  instanceId: string;
  /** The last known state (from the database) until the session starts. */
  initial?: SessionSnapshot;
  /** More listeners for each new socket (receipts, inbound messages), and the socket itself. */
  attach?: (listen: Listen, socket: WASocketPort) => void;
  auth: AuthStore;
  connect: SocketFactory;
  onChange: (snapshot: SessionSnapshot) => void;
  logger: Logger;
  /** Reconnect backoff: first delay, doubling with jitter up to the max. */
  backoffBaseMs?: number;
  backoffMaxMs?: number;
  /** QR codes shown before giving up on an unscanned link. */
  maxQrCodes?: number;
  now?: () => number;
}

type Listener<K extends keyof BaileysEventMap> = (arg: BaileysEventMap[K]) => void;

export class WhatsAppSession {
  private socket: WASocketPort | undefined;
  private auth: DatabaseAuthState | undefined;
  private snapshot: SessionSnapshot;
  private reconnectTimer: NodeJS.Timeout | undefined;
  private failures = 0;
  /** The status code of the last close and how many closes in a row had it (405 and 515 are counted). */
  private lastClose: { code: number | undefined; inARow: number } = { code: undefined, inARow: 0 };
  private qrCount = 0;
  /** Connection attempts so far: a read of the stored session that ends after a newer attempt began is dropped. */
  private attempts = 0;
  private stopped = true;
  private readonly detach: (() => void)[] = [];
  private readonly now: () => number;

  constructor(private readonly o: SessionOptions) {
    this.now = o.now ?? Date.now;
    this.snapshot = o.initial ?? { state: 'disconnected', since: this.now() };
  }

  get current(): SessionSnapshot {
    return this.snapshot;
  }

  /** The open socket, for sending; undefined unless connected. */
  get connected(): WASocketPort | undefined {
    return this.snapshot.state === 'connected' ? this.socket : undefined;
  }

  /** The socket showing QR codes: a pairing code can be requested on it instead. */
  get linking(): WASocketPort | undefined {
    return this.snapshot.state === 'qr' ? this.socket : undefined;
  }

  start(): void {
    if (!this.stopped) return;
    this.stopped = false;
    this.qrCount = 0;
    this.connect();
  }

  /** Closes the connection without logging out; the session stays linked. */
  stop(): void {
    this.stopped = true;
    this.clearTimer();
    this.dropSocket();
    if (this.snapshot.state !== 'logged_out' && this.snapshot.state !== 'banned') this.set({ state: 'disconnected' });
  }

  /**
   * Asks WhatsApp for a pairing code for `phone` on the socket showing QR
   * codes. Baileys sends the request without waiting for the answer and
   * writes the number as this device's identity first; an explicit refusal
   * is reported here (`pairing_refused`) and that identity is taken back, so
   * the next connection registers again instead of trying to log in.
   */
  async requestPairingCode(phone: string, answerTimeoutMs = 10_000): Promise<string> {
    const socket = this.linking;
    if (socket === undefined) {
      throw new CodedError(
        'not_linking',
        this.snapshot.state === 'connected'
          ? 'This instance is already linked to a number'
          : 'The instance is not showing a QR code yet; try again in a few seconds',
      );
    }
    const answer = pairingAnswer(socket, answerTimeoutMs);
    let code: string;
    try {
      code = await socket.requestPairingCode(phone);
    } catch (err) {
      answer.cancel();
      throw err;
    }
    const verdict = await answer.verdict;
    if (verdict.kind === 'refused') {
      const auth = this.auth;
      const creds = auth?.state.creds;
      if (auth !== undefined && creds !== undefined && creds.registered !== true && (creds.account === undefined || creds.account === null)) {
        delete creds.me;
        delete creds.pairingCode;
        await auth.saveCreds();
      }
      throw new CodedError('pairing_refused', `WhatsApp refused the pairing request (${verdict.detail}); check the number, or link with the QR code`);
    }
    if (verdict.kind === 'no_answer')
      this.o.logger.warn({ instanceId: this.o.instanceId }, 'WhatsApp did not answer the pairing request in time; returning the code anyway');
    return code;
  }

  /** Unlinks the device on WhatsApp and forgets the session. */
  async logout(): Promise<void> {
    const socket = this.socket;
    this.stopped = true;
    this.clearTimer();
    try {
      await socket?.logout();
    } catch (err) {
      this.o.logger.warn({ err, instanceId: this.o.instanceId }, 'logout on WhatsApp failed; forgetting the session anyway');
    }
    this.dropSocket();
    this.auth = undefined;
    await this.o.auth.wipe(this.o.instanceId);
    this.set({ state: 'logged_out' });
  }

  /**
   * Opens a socket on the session's auth state. The stored state is read once,
   * when the session first connects (or again after a wipe): later connections
   * reuse it as Baileys keeps it (every change is saved as it happens). A
   * stop, a logout or a newer attempt while it is read wins: the read is dropped.
   */
  private connect(): void {
    this.clearTimer();
    this.dropSocket();
    const attempt = ++this.attempts;
    this.set({ state: 'connecting' });
    if (this.auth !== undefined) {
      this.open(this.auth);
      return;
    }
    this.o.auth.load(this.o.instanceId).then(
      (auth) => {
        if (attempt !== this.attempts || this.stopped) return;
        this.auth = auth;
        this.open(auth);
      },
      (err: unknown) => {
        if (attempt !== this.attempts || this.stopped) return;
        // Unreadable stored session (another CONNEXA_SECRET_KEY, or damaged data): report, do not crash.
        this.o.logger.error({ err, instanceId: this.o.instanceId }, 'the stored WhatsApp session cannot be read');
        this.stopped = true;
        this.set({ state: 'failed', reason: 'The stored session cannot be read (was CONNEXA_SECRET_KEY changed?); log out and link the number again' });
      },
    );
  }

  private open(auth: DatabaseAuthState): void {
    const socket = this.o.connect(auth.state, this.o.instanceId);
    this.socket = socket;
    this.listen(socket, 'connection.update', (u) => this.onConnectionUpdate(socket, u));
    this.listen(socket, 'creds.update', () => {
      auth.saveCreds().catch((err: unknown) => this.o.logger.error({ err, instanceId: this.o.instanceId }, 'could not save WhatsApp creds'));
    });
    this.o.attach?.((event, listener) => this.listen(socket, event, listener), socket);
  }

  private listen<K extends keyof BaileysEventMap>(socket: WASocketPort, event: K, listener: Listener<K>): void {
    socket.ev.on(event, listener);
    this.detach.push(() => socket.ev.off(event, listener));
  }

  private onConnectionUpdate(socket: WASocketPort, u: Partial<ConnectionState>): void {
    if (socket !== this.socket) return; // a late event from a socket we already left
    if (u.qr !== undefined) {
      this.qrCount++;
      if (this.qrCount > (this.o.maxQrCodes ?? 5)) {
        this.stopped = true;
        this.dropSocket();
        this.set({ state: 'failed', reason: 'The QR code was not scanned in time: request a new one' });
        return;
      }
      const lifetime = this.qrCount === 1 ? 60_000 : 20_000;
      this.set({ state: 'qr', qr: { code: u.qr, expiresAt: this.now() + lifetime } });
    }
    if (u.connection === 'open') {
      this.failures = 0;
      this.lastClose = { code: undefined, inARow: 0 };
      this.qrCount = 0;
      const phone = socket.user?.id.split(/[:@]/)[0];
      this.set({ state: 'connected', ...(phone !== undefined ? { phone } : {}) });
    }
    if (u.connection === 'close') this.onClose(u);
  }

  private onClose(u: Partial<ConnectionState>): void {
    const error = u.lastDisconnect?.error as { output?: { statusCode?: number } } | undefined;
    const code = error?.output?.statusCode;
    // Pairing completed (QR or code) once WhatsApp sent the account; `me` alone is set by a pairing-code request.
    const creds = this.auth?.state.creds;
    const linked = creds?.registered === true || (creds?.account !== undefined && creds.account !== null);
    this.lastClose = { code, inARow: code === this.lastClose.code ? this.lastClose.inARow + 1 : 1 };
    const action = onDisconnect(code, linked, this.qrCount > 0, this.lastClose.inARow);
    this.o.logger.info({ instanceId: this.o.instanceId, code, action: action.kind }, 'WhatsApp connection closed');
    this.dropSocket();
    if (this.stopped) return;
    switch (action.kind) {
      case 'restart_now':
        this.connect();
        return;
      case 'reconnect': {
        if (action.alert !== undefined) this.o.logger.warn({ instanceId: this.o.instanceId }, action.alert);
        this.failures++;
        const delay = retryDelayMs(this.failures, this.o.backoffBaseMs ?? 1_000, this.o.backoffMaxMs ?? 60_000);
        this.set({ state: 'disconnected', reason: `Connection lost (${code ?? 'unknown'}); reconnecting in ${Math.round(delay / 1000)} s` });
        this.reconnectTimer = setTimeout(() => {
          this.reconnectTimer = undefined;
          if (!this.stopped) this.connect();
        }, delay);
        return;
      }
      case 'logged_out':
        this.stopped = true;
        this.auth = undefined;
        void this.o.auth.wipe(this.o.instanceId).catch((err: unknown) => this.o.logger.error({ err }, 'could not wipe a logged-out session'));
        this.set({ state: 'logged_out', reason: 'The device was unlinked on the phone' });
        return;
      case 'banned':
        this.stopped = true;
        this.set({ state: 'banned', reason: action.reason });
        return;
      case 'failed':
        this.stopped = true;
        this.set({ state: 'failed', reason: action.reason });
        return;
    }
  }

  private dropSocket(): void {
    for (const off of this.detach.splice(0)) off();
    const socket = this.socket;
    this.socket = undefined;
    if (socket !== undefined) {
      socket.end(undefined).catch((err: unknown) => this.o.logger.debug({ err }, 'ending a closed socket'));
    }
  }

  private clearTimer(): void {
    if (this.reconnectTimer !== undefined) clearTimeout(this.reconnectTimer);
    this.reconnectTimer = undefined;
  }

  private set(next: Omit<SessionSnapshot, 'since'>): void {
    this.snapshot = { ...next, since: this.now() };
    this.o.onChange(this.snapshot);
  }
}

type PairingVerdict = { kind: 'accepted' } | { kind: 'refused'; detail: string } | { kind: 'no_answer' };

/**
 * The server's answer to a pairing-code request, read off the socket's
 * stanzas from now on: a result carrying `link_code_companion_reg` accepts,
 * an `iq` error refuses (while linking, no other query of ours is pending).
 */
function pairingAnswer(socket: WASocketPort, timeoutMs: number): { verdict: Promise<PairingVerdict>; cancel: () => void } {
  let finish: (verdict: PairingVerdict) => void = () => {};
  const verdict = new Promise<PairingVerdict>((resolve) => {
    finish = (v) => {
      clearTimeout(timer);
      socket.ws.off('frame', onFrame);
      resolve(v);
    };
  });
  const onFrame = (frame: BinaryNode): void => {
    if (frame.tag !== 'iq') return;
    const children = Array.isArray(frame.content) ? frame.content : [];
    if (frame.attrs.type === 'error') {
      const error = children.find((c) => c.tag === 'error');
      finish({ kind: 'refused', detail: `${error?.attrs.code ?? 'error'} ${error?.attrs.text ?? ''}`.trim() });
    } else if (frame.attrs.type === 'result' && children.some((c) => c.tag === 'link_code_companion_reg')) {
      finish({ kind: 'accepted' });
    }
  };
  const timer = setTimeout(() => finish({ kind: 'no_answer' }), timeoutMs);
  socket.ws.on('frame', onFrame);
  // The request itself failed: stop listening at once (no timer left behind).
  return { verdict, cancel: () => finish({ kind: 'no_answer' }) };
}
