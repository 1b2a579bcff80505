/**
 * A stand-in for a Baileys socket, typed as Baileys' own WASocket (Pick<>), on
 * Baileys' real event buffer; closes are driven with real Boom errors.
 */
import { EventEmitter } from 'node:events';
import { Boom } from '@hapi/boom';
import { makeEventBuffer, type AuthenticationState, type BaileysEventMap } from 'baileys';
import pino from 'pino';
import type { WASocketPort } from '../../src/engines/baileys/socket-port.js';

const logger = pino({ level: 'silent' });

/** Baileys' real event buffer, with a count of the listeners attached through it. */
function countingEvents(): { ev: WASocketPort['ev']; listeners: () => number } {
  const real = makeEventBuffer(logger);
  const attached = new Set<unknown>();
  const ev: WASocketPort['ev'] = {
    ...real,
    on: <T extends keyof BaileysEventMap>(event: T, listener: (arg: BaileysEventMap[T]) => void) => {
      attached.add(listener);
      real.on(event, listener);
    },
    off: <T extends keyof BaileysEventMap>(event: T, listener: (arg: BaileysEventMap[T]) => void) => {
      attached.delete(listener);
      real.off(event, listener);
    },
  };
  return { ev, listeners: () => attached.size };
}

export class FakeSocket implements WASocketPort {
  private readonly events = countingEvents();
  readonly ev = this.events.ev;
  /** Where Baileys emits the stanzas it receives (`frame`). */
  readonly ws = new EventEmitter();
  user: WASocketPort['user'] = undefined;
  ended = false;
  loggedOut = false;
  constructor(readonly auth: AuthenticationState) {}
  /** Numbers that are on WhatsApp, by the digits WhatsApp knows them under. */
  readonly registered = new Set<string>();
  /** The LID↔phone mapping Baileys would have learnt: LID jid → phone jid. */
  readonly lids = new Map<string, string>();
  readonly signalRepository = { lidMapping: { getPNForLID: async (lid: string) => this.lids.get(lid) ?? null } };
  readonly lookups: string[][] = [];
  readonly sent: { jid: string; content: unknown; messageId: string | undefined }[] = [];
  failSend: Error | undefined;
  sendMessage: WASocketPort['sendMessage'] = async (jid, content, options) => {
    if (this.failSend !== undefined) throw this.failSend;
    this.sent.push({ jid, content, messageId: options?.messageId });
    // What Baileys returns: the message as sent, under the id we chose.
    return { key: { id: options?.messageId ?? null, fromMe: true, remoteJid: jid }, message: 'text' in content ? { conversation: content.text } : {} };
  };
  readonly presence: { state: string; jid: string | undefined }[] = [];
  updateMediaMessage: WASocketPort['updateMediaMessage'] = async (message) => message;
  sendPresenceUpdate: WASocketPort['sendPresenceUpdate'] = async (state, jid) => {
    this.presence.push({ state, jid });
  };
  onWhatsApp: WASocketPort['onWhatsApp'] = async (...phones) => {
    this.lookups.push(phones);
    return phones.filter((p) => this.registered.has(p)).map((p) => ({ jid: `${p}@s.whatsapp.net`, exists: true }));
  };
  /** Answers a pairing-code request as WhatsApp does when it accepts it. */
  requestPairingCode: WASocketPort['requestPairingCode'] = async () => {
    setImmediate(() => this.ws.emit('frame', { tag: 'iq', attrs: { type: 'result' }, content: [{ tag: 'link_code_companion_reg', attrs: {} }] }));
    return 'ABCD1234';
  };
  logout: WASocketPort['logout'] = async () => {
    this.loggedOut = true;
  };
  end: WASocketPort['end'] = async () => {
    this.ended = true;
  };
  close(statusCode: number): void {
    this.ev.emit('connection.update', { connection: 'close', lastDisconnect: { error: new Boom('closed', { statusCode }), date: new Date() } });
  }
  open(phone = '5544999999999'): void {
    this.user = { id: `${phone}:7@s.whatsapp.net` };
    this.ev.emit('connection.update', { connection: 'open' });
  }
  listeners(): number {
    return this.events.listeners();
  }
}
