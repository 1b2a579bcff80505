/**
 * A local stand-in for WhatsApp's chat server, for tests only: it completes
 * the Noise XX handshake with a real, unmodified Baileys socket (pointed at it
 * with `waWebSocketUrl`) and then speaks binary nodes over the encrypted
 * transport, so Baileys' own handlers run. Built from Baileys' exported
 * crypto and node codec; it trusts a root key of its own, installed in
 * Baileys' process-wide WA_CERT_DETAILS while it runs (`close` restores it).
 *
 * What it does: the handshake; `pairDevice(refs)` (the socket shows QR
 * codes); pairing-code requests accepted or refused (`pairingCodeAnswer`);
 * `pairSuccess(qr, phone)` (the phone scanned it: the socket stores its
 * identity, then the server restarts the stream with 515); `loginSuccess()` on
 * a connection that logs in (the socket opens); plain answers to the queries a
 * socket makes after login; usync lookups (`usync`, and devices and LIDs of the
 * server's contacts); prekey bundles of contacts (`addContact`), so Baileys
 * encrypts real Signal messages to them, which a `FakeContact` decrypts
 * (`read`) and answers (`deliver`); message acks (with an error such as 463),
 * delivery/read and retry receipts; the reach-out timelock notice. Not done:
 * app-state sync (a personal account's push name), groups (sender keys),
 * media upload and download.
 */
import { createHmac, randomBytes } from 'node:crypto';
import type { AddressInfo } from 'node:net';
import {
  addTransactionCapability,
  aesDecryptGCM,
  aesEncryptGCM,
  Curve,
  decodeBinaryNode,
  encodeBinaryNode,
  encodeWAMessage,
  hkdf,
  initAuthCreds,
  NOISE_MODE,
  NOISE_WA_HEADER,
  proto,
  sha256,
  unpadRandomMax16,
  WA_ADV_ACCOUNT_SIG_PREFIX,
  WA_CERT_DETAILS,
  type AuthenticationCreds,
  type BinaryNode,
  type SignalDataSet,
  type SignalDataTypeMap,
  type SignalKeyStore,
} from 'baileys';
import { makeLibSignalRepository } from 'baileys/lib/Signal/libsignal.js';
import pino from 'pino';
import { WebSocketServer, type WebSocket } from 'ws';

type KeyPair = { private: Uint8Array; public: Uint8Array };

const iv = (counter: number): Buffer => {
  const out = Buffer.alloc(12);
  out.writeUInt32BE(counter, 8);
  return out;
};

/** The server's half of WhatsApp's Noise XX: the same key schedule as Baileys' client, roles reversed. */
class ServerNoise {
  private hash: Buffer;
  private salt: Buffer;
  private key: Buffer;
  private counter = 0;
  private transport: { enc: Buffer; dec: Buffer; read: number; write: number } | undefined;

  constructor() {
    const mode = Buffer.from(NOISE_MODE);
    this.hash = mode.length === 32 ? mode : Buffer.from(sha256(mode));
    this.salt = this.hash;
    this.key = this.hash;
  }

  get ready(): boolean {
    return this.transport !== undefined;
  }

  mix(data: Uint8Array): void {
    this.hash = Buffer.from(sha256(Buffer.concat([this.hash, data])));
  }

  mixIntoKey(shared: Uint8Array): void {
    const k = Buffer.from(hkdf(Buffer.from(shared), 64, { salt: this.salt, info: '' }));
    this.salt = k.subarray(0, 32);
    this.key = k.subarray(32);
    this.counter = 0;
  }

  encrypt(plain: Uint8Array): Buffer {
    if (this.transport !== undefined) return aesEncryptGCM(plain, this.transport.enc, iv(this.transport.write++), Buffer.alloc(0));
    const sealed = aesEncryptGCM(plain, this.key, iv(this.counter++), this.hash);
    this.mix(sealed);
    return sealed;
  }

  decrypt(sealed: Uint8Array): Buffer {
    if (this.transport !== undefined) return aesDecryptGCM(sealed, this.transport.dec, iv(this.transport.read++), Buffer.alloc(0));
    const plain = aesDecryptGCM(sealed, this.key, iv(this.counter++), this.hash);
    this.mix(sealed);
    return plain;
  }

  /** Transport keys: the client writes with the first half, so the server reads with it. */
  finish(): void {
    const k = Buffer.from(hkdf(Buffer.alloc(0), 64, { salt: this.salt, info: '' }));
    this.transport = { dec: k.subarray(0, 32), enc: k.subarray(32), read: 0, write: 0 };
  }
}

/**
 * A person on the fake WhatsApp: their phone number, their LID, and the
 * Signal identity and prekeys their phone (device 0) publishes, so a real
 * socket can open an encrypted session to them.
 */
export class FakeContact {
  readonly keys: AuthenticationCreds = initAuthCreds();
  readonly oneTimePreKey: KeyPair = Curve.generateKeyPair();
  /** The phone's own Signal side (Baileys' libsignal repository over an in-memory key store). */
  private readonly signal;

  constructor(
    readonly phone: string,
    readonly lid: string,
  ) {
    const store = memoryKeyStore();
    void store.set({ 'pre-key': { '1': this.oneTimePreKey } });
    const logger = pino({ level: 'silent' });
    this.signal = makeLibSignalRepository(
      { creds: this.keys, keys: addTransactionCapability(store, logger, { maxCommitRetries: 1, delayBetweenTriesMs: 1 }) },
      logger,
    );
  }

  /** Decrypts what `senderJid` sent to this phone (device 0) in a message stanza. */
  async read(stanza: BinaryNode, senderJid: string): Promise<proto.Message> {
    const mine = (n: BinaryNode): boolean => n.tag === 'to' && (n.attrs.jid === this.pnJid || n.attrs.jid === this.lidJid);
    const enc = child(children(child(stanza, 'participants')).find(mine), 'enc') ?? child(stanza, 'enc');
    if (!(enc?.content instanceof Uint8Array)) throw new Error('no message for this contact in the stanza');
    const type = enc.attrs.type === 'pkmsg' ? 'pkmsg' : 'msg';
    const plain = await this.signal.decryptMessage({ jid: senderJid, type, ciphertext: enc.content });
    return proto.Message.decode(unpadRandomMax16(plain));
  }

  /** Encrypts `message` from this phone for `toJid` (a session must exist: read one of theirs first). */
  async write(message: proto.IMessage, toJid: string): Promise<BinaryNode> {
    const { type, ciphertext } = await this.signal.encryptMessage({ jid: toJid, data: encodeWAMessage(message) });
    return { tag: 'enc', attrs: { v: '2', type }, content: ciphertext };
  }

  get pnJid(): string {
    return `${this.phone}@s.whatsapp.net`;
  }

  get lidJid(): string {
    return `${this.lid}@lid`;
  }

  /** The prekey bundle WhatsApp hands out for this contact's phone (`jid` as asked). */
  bundle(jid: string): BinaryNode {
    const uint = (n: number, bytes: number) => {
      const out = Buffer.alloc(bytes);
      out.writeUIntBE(n, 0, bytes);
      return out;
    };
    const signed = this.keys.signedPreKey;
    return {
      tag: 'user',
      attrs: { jid },
      content: [
        { tag: 'registration', attrs: {}, content: uint(this.keys.registrationId, 4) },
        { tag: 'type', attrs: {}, content: Buffer.from([5]) },
        { tag: 'identity', attrs: {}, content: Buffer.from(this.keys.signedIdentityKey.public) },
        {
          tag: 'skey',
          attrs: {},
          content: [
            { tag: 'id', attrs: {}, content: uint(signed.keyId, 3) },
            { tag: 'value', attrs: {}, content: Buffer.from(signed.keyPair.public) },
            { tag: 'signature', attrs: {}, content: Buffer.from(signed.signature) },
          ],
        },
        {
          tag: 'key',
          attrs: {},
          content: [
            { tag: 'id', attrs: {}, content: uint(1, 3) },
            { tag: 'value', attrs: {}, content: Buffer.from(this.oneTimePreKey.public) },
          ],
        },
      ],
    };
  }
}

/** A Signal key store in memory, as Baileys' auth state expects one. */
function memoryKeyStore(): SignalKeyStore {
  const data = new Map<string, unknown>();
  return {
    get: async <T extends keyof SignalDataTypeMap>(type: T, ids: string[]) => {
      const out: { [id: string]: SignalDataTypeMap[T] } = {};
      for (const id of ids) {
        const value = data.get(`${type}:${id}`);
        if (value !== undefined) out[id] = value as SignalDataTypeMap[T];
      }
      return out;
    },
    set: async (set: SignalDataSet) => {
      for (const [type, entries] of Object.entries(set)) {
        for (const [id, value] of Object.entries(entries ?? {})) {
          if (value === null || value === undefined) data.delete(`${type}:${id}`);
          else data.set(`${type}:${id}`, value);
        }
      }
    },
  };
}

const children = (n: BinaryNode | undefined): BinaryNode[] => (n !== undefined && Array.isArray(n.content) ? n.content : []);
const child = (n: BinaryNode | undefined, tag: string): BinaryNode | undefined => children(n).find((c) => c.tag === tag);
const seconds = (): string => String(Math.floor(Date.now() / 1000));

/** One client connection: frames in and out, the handshake, then nodes. */
export class FakeConnection {
  private readonly noise = new ServerNoise();
  private readonly ephemeral: KeyPair = Curve.generateKeyPair();
  private pending = Buffer.alloc(0);
  private sawIntro = false;
  /** Nodes the client sent after the handshake, in order. */
  readonly received: BinaryNode[] = [];
  /**
   * How a usync lookup is answered: numbers on WhatsApp (digits → their jid;
   * every other number is `out`), or `unreadable` (an iq error without detail,
   * which Baileys' onWhatsApp turns into `undefined`).
   */
  usync: Map<string, string> | 'unreadable' = new Map();
  /**
   * Media the sender's phone uploads again when asked (a `server-error`
   * receipt): by message id, its media key and the new direct path.
   */
  readonly reuploads = new Map<string, { mediaKey: Uint8Array; directPath: string; from: string }>();
  /** How a pairing-code request (`link_code_companion_reg`) is answered. */
  pairingCodeAnswer: 'accept' | 'refuse' = 'accept';
  /** The client's ClientPayload (registration or login), once the handshake is done. */
  payload: proto.ClientPayload | undefined;
  private readonly waiters: { match: (n: BinaryNode) => boolean; resolve: (n: BinaryNode) => void }[] = [];

  constructor(
    private readonly ws: WebSocket,
    private readonly server: FakeWhatsAppServer,
  ) {
    ws.on('message', (data: Buffer) => {
      void this.onData(data).catch((err: unknown) => {
        server.errors.push(err);
        ws.close();
      });
    });
  }

  /** Sends a node over the encrypted transport. */
  send(node: BinaryNode): void {
    this.writeFrame(this.noise.encrypt(encodeBinaryNode(node)));
  }

  /** Resolves with the first node (already received or still to come) that `match` accepts. */
  next(match: (n: BinaryNode) => boolean): Promise<BinaryNode> {
    const seen = this.received.find(match);
    if (seen !== undefined) return Promise.resolve(seen);
    return new Promise((resolve) => this.waiters.push({ match, resolve }));
  }

  /** Asks the client to show QR codes, one per ref (Baileys shows the next every 20 s). */
  pairDevice(refs: string[]): void {
    this.send({
      tag: 'iq',
      attrs: { from: 's.whatsapp.net', type: 'set', id: `pair-${Date.now()}`, xmlns: 'md' },
      content: [{ tag: 'pair-device', attrs: {}, content: refs.map((ref) => ({ tag: 'ref', attrs: {}, content: Buffer.from(ref) })) }],
    });
  }

  /**
   * What the phone does once it has scanned `qr`: signs this companion's
   * identity with a fresh account key, as WhatsApp does, and sends
   * pair-success for `phone`:7 (and a LID; with `businessName`, as a
   * WhatsApp Business account of that name). Then ends the stream with 515.
   */
  async pairSuccess(qr: string, phone: string, lid = '123456789012345', businessName?: string): Promise<void> {
    const [, identityB64, advB64] = (qr.split('#')[1] ?? '').split(',').slice(1);
    if (identityB64 === undefined || advB64 === undefined) throw new Error(`not a QR code of Baileys: ${qr}`);
    const identity = Buffer.from(identityB64, 'base64');
    const account = Curve.generateKeyPair();
    const deviceDetails = Buffer.from(proto.ADVDeviceIdentity.encode({ rawId: 4242, timestamp: Math.floor(Date.now() / 1000), keyIndex: 1 }).finish());
    const accountSignature = Buffer.from(Curve.sign(account.private, Buffer.concat([WA_ADV_ACCOUNT_SIG_PREFIX, deviceDetails, identity])));
    const details = Buffer.from(
      proto.ADVSignedDeviceIdentity.encode({ details: deviceDetails, accountSignatureKey: account.public, accountSignature }).finish(),
    );
    const hmac = createHmac('sha256', Buffer.from(advB64, 'base64')).update(details).digest();
    const id = `pair-success-${Date.now()}`;
    this.send({
      tag: 'iq',
      attrs: { from: 's.whatsapp.net', type: 'set', id, xmlns: 'md' },
      content: [
        {
          tag: 'pair-success',
          attrs: {},
          content: [
            { tag: 'device-identity', attrs: {}, content: Buffer.from(proto.ADVSignedDeviceIdentityHMAC.encode({ details, hmac }).finish()) },
            { tag: 'platform', attrs: { name: 'android' } },
            // A WhatsApp Business account names itself here (the name presence updates carry).
            ...(businessName !== undefined ? [{ tag: 'biz', attrs: { name: businessName } }] : []),
            { tag: 'device', attrs: { jid: `${phone}:7@s.whatsapp.net`, lid: `${lid}:7@lid` } },
          ],
        },
      ],
    });
    // The companion signs back; WhatsApp then restarts the stream.
    await this.next((n) => n.tag === 'iq' && n.attrs.id === id);
    this.streamError(515);
  }

  /** Ends the stream with an error code (515: restart required). */
  streamError(code: number): void {
    this.send({ tag: 'stream:error', attrs: { code: String(code) } });
  }

  /** Refuses the connection as WhatsApp does (`<failure reason>`: 405 client too old, 401 logged out, …). */
  fail(reason: number): void {
    this.send({ tag: 'failure', attrs: { reason: String(reason) } });
  }

  /** Accepts a login (the socket then opens) and says nothing is waiting offline. */
  loginSuccess(lid = '123456789012345'): void {
    this.send({ tag: 'success', attrs: { t: String(Math.floor(Date.now() / 1000)), lid: `${lid}:7@lid` } });
    this.send({ tag: 'ib', attrs: { from: 's.whatsapp.net' }, content: [{ tag: 'offline', attrs: { count: '0' } }] });
  }

  /** The `index`-th message stanza (0 = first) the client sends, once it has. */
  message(index = 0): Promise<BinaryNode> {
    let seen = -1;
    return this.next((n) => n.tag === 'message' && ++seen === index);
  }

  /**
   * A message from `contact`'s phone to this number, encrypted by the contact
   * (a session must exist: the contact has read one of ours), delivered as
   * WhatsApp does from `from` (the contact's phone jid, or its LID); resolves
   * once the client sent its receipt.
   */
  async deliver(
    contact: FakeContact,
    message: proto.IMessage,
    to: string,
    id = `IN${Date.now()}${Math.floor(Math.random() * 1e6)}`,
    from = contact.pnJid,
  ): Promise<string> {
    const enc = await contact.write(message, to);
    this.send({ tag: 'message', attrs: { id, from, type: 'text', t: seconds(), notify: 'Contact' }, content: [enc] });
    // The client answers with a delivery receipt (`inactive` while it is not shown online), or a retry receipt.
    const answer = await this.next((n) => n.tag === 'receipt' && n.attrs.id === id);
    if (answer.attrs.type === 'retry') throw new Error(`the client could not decrypt message ${id}`);
    return id;
  }

  /** The server's ack of a sent message; with `error` (e.g. 463) WhatsApp refused it. */
  ack(message: BinaryNode, error?: number): void {
    const attrs: Record<string, string> = { class: 'message', id: message.attrs.id ?? '', from: message.attrs.to ?? '', t: seconds() };
    if (error !== undefined) attrs.error = String(error);
    this.send({ tag: 'ack', attrs });
  }

  /** A receipt from the recipient's phone for a sent message: delivered (no type), `read` or `played`. */
  receipt(message: BinaryNode, type?: 'read' | 'played', from = message.attrs.to ?? ''): void {
    this.send({ tag: 'receipt', attrs: { id: message.attrs.id ?? '', from, t: seconds(), ...(type !== undefined ? { type } : {}) } });
  }

  /**
   * The recipient's phone could not decrypt a sent message and asks for it
   * again (the `count`-th time), as a retry receipt from `contact`.
   */
  retryReceipt(message: BinaryNode, contact: FakeContact, count: number): void {
    const registration = Buffer.alloc(4);
    registration.writeUInt32BE(contact.keys.registrationId);
    const id = message.attrs.id ?? '';
    this.send({
      tag: 'receipt',
      attrs: { id, from: message.attrs.to ?? '', type: 'retry', t: seconds() },
      content: [
        { tag: 'retry', attrs: { count: String(count), id, t: seconds(), v: '1' } },
        { tag: 'registration', attrs: {}, content: registration },
      ],
    });
  }

  /**
   * WhatsApp's notice that the account may (or may again) start new chats:
   * the reach-out timelock, active until `endsAt` (seconds; omitted: WhatsApp
   * Web assumes a minute).
   */
  reachoutTimelock(active: boolean, endsAt?: number): void {
    const payload = {
      data: {
        xwa2_notify_account_reachout_timelock: {
          is_active: active,
          ...(endsAt !== undefined ? { time_enforcement_ends: String(endsAt) } : {}),
          enforcement_type: 'DEFAULT',
        },
      },
    };
    this.send({
      tag: 'notification',
      attrs: { from: 's.whatsapp.net', type: 'mex', id: `mex-${Date.now()}`, t: seconds() },
      content: [{ tag: 'update', attrs: { op_name: 'NotificationUserReachoutTimelockUpdate' }, content: Buffer.from(JSON.stringify(payload)) }],
    });
  }

  close(): void {
    this.ws.close();
  }

  /**
   * The usync answer, protocol by protocol as asked: `contact` (is this phone
   * on WhatsApp: `usync` says), `devices` (a known contact has its phone,
   * device 0; anyone else none) and `lid` (a known contact's LID).
   */
  private usyncUsers(query: BinaryNode): BinaryNode[] {
    const usync = child(query, 'usync');
    const protocols = children(child(usync, 'query')).map((p) => p.tag);
    return children(child(usync, 'list'))
      .filter((u) => u.tag === 'user')
      .map((user) => {
        const asked = child(user, 'contact');
        if (protocols.includes('contact') && asked?.content instanceof Uint8Array) {
          const digits = Buffer.from(asked.content).toString().replace(/^\+/, '');
          const jid = this.usync instanceof Map ? this.usync.get(digits) : undefined;
          return {
            tag: 'user',
            attrs: { jid: jid ?? `${digits}@s.whatsapp.net` },
            content: [{ tag: 'contact', attrs: { type: jid === undefined ? 'out' : 'in' }, content: Buffer.from(`+${digits}`) }],
          };
        }
        const jid = user.attrs.jid ?? '';
        const contact = this.server.contact(jid);
        const content: BinaryNode[] = [];
        if (protocols.includes('devices')) {
          content.push({
            tag: 'devices',
            attrs: {},
            content: [{ tag: 'device-list', attrs: {}, content: contact === undefined ? [] : [{ tag: 'device', attrs: { id: '0' } }] }],
          });
        }
        if (protocols.includes('lid') && contact !== undefined && jid.endsWith('@s.whatsapp.net')) content.push({ tag: 'lid', attrs: { val: contact.lidJid } });
        return { tag: 'user', attrs: { jid }, content };
      });
  }

  /** The phone's answer to a media retry request: the file uploaded again, at a new path, sealed with the media key. */
  private answerMediaRetry(node: BinaryNode): void {
    const id = node.attrs.id ?? '';
    const upload = this.reuploads.get(id);
    if (upload === undefined) return;
    const retryKey = Buffer.from(hkdf(Buffer.from(upload.mediaKey), 32, { info: 'WhatsApp Media Retry Notification' }));
    const iv = randomBytes(12);
    const notice = proto.MediaRetryNotification.encode({
      stanzaId: id,
      directPath: upload.directPath,
      result: proto.MediaRetryNotification.ResultType.SUCCESS,
    }).finish();
    this.send({
      tag: 'notification',
      attrs: { from: 's.whatsapp.net', type: 'mediaretry', id, t: seconds() },
      content: [
        {
          tag: 'encrypt',
          attrs: {},
          content: [
            { tag: 'enc_p', attrs: {}, content: aesEncryptGCM(notice, retryKey, iv, Buffer.from(id)) },
            { tag: 'enc_iv', attrs: {}, content: iv },
          ],
        },
        { tag: 'rmr', attrs: { jid: upload.from, from_me: 'false' } },
      ],
    });
  }

  /** Plain answers to what a socket asks after login, so its login completes. */
  private answer(node: BinaryNode): void {
    if (node.tag === 'receipt' && node.attrs.type === 'server-error') {
      this.answerMediaRetry(node);
      return;
    }
    if (node.tag !== 'iq' || (node.attrs.type !== 'get' && node.attrs.type !== 'set') || node.attrs.id === undefined) return;
    const first = Array.isArray(node.content) ? node.content[0] : undefined;
    const content: BinaryNode[] = [];
    if (first?.tag === 'link_code_companion_reg') {
      if (this.pairingCodeAnswer === 'refuse') {
        this.send({
          tag: 'iq',
          attrs: { from: 's.whatsapp.net', type: 'error', id: node.attrs.id },
          content: [{ tag: 'error', attrs: { code: '400', text: 'bad-request' } }],
        });
      } else {
        this.send({
          tag: 'iq',
          attrs: { from: 's.whatsapp.net', type: 'result', id: node.attrs.id },
          content: [{ tag: 'link_code_companion_reg', attrs: {}, content: [{ tag: 'link_code_pairing_ref', attrs: {}, content: Buffer.from('ref') }] }],
        });
      }
      return;
    }
    if (node.attrs.xmlns === 'usync') {
      this.send(
        this.usync === 'unreadable'
          ? { tag: 'iq', attrs: { from: 's.whatsapp.net', type: 'error', id: node.attrs.id } }
          : {
              tag: 'iq',
              attrs: { from: 's.whatsapp.net', type: 'result', id: node.attrs.id },
              content: [{ tag: 'usync', attrs: {}, content: [{ tag: 'list', attrs: {}, content: this.usyncUsers(node) }] }],
            },
      );
      return;
    }
    if (node.attrs.xmlns === 'encrypt' && first?.tag === 'count') content.push({ tag: 'count', attrs: { value: '50' } });
    else if (node.attrs.xmlns === 'encrypt' && first?.tag === 'digest') content.push({ tag: 'digest', attrs: {} });
    else if (node.attrs.xmlns === 'encrypt' && first?.tag === 'key') {
      // Prekey bundles of the asked devices (known contacts only).
      const bundles = children(first).flatMap((u) => {
        const contact = this.server.contact(u.attrs.jid ?? '');
        return contact === undefined || u.attrs.jid === undefined ? [] : [contact.bundle(u.attrs.jid)];
      });
      content.push({ tag: 'list', attrs: {}, content: bundles });
    } else if (node.attrs.xmlns === 'md' || node.attrs.xmlns === 'w:sync:app:state') return;
    this.send({ tag: 'iq', attrs: { from: 's.whatsapp.net', type: 'result', id: node.attrs.id }, ...(content.length > 0 ? { content } : {}) });
  }

  private writeFrame(data: Buffer): void {
    const head = Buffer.alloc(3);
    head.writeUIntBE(data.length, 0, 3);
    this.ws.send(Buffer.concat([head, data]));
  }

  private async onData(data: Buffer): Promise<void> {
    this.pending = Buffer.concat([this.pending, data]);
    if (!this.sawIntro) {
      if (this.pending.length < NOISE_WA_HEADER.length) return;
      // Only the client's first message carries the header (no routing info here).
      if (!this.pending.subarray(0, NOISE_WA_HEADER.length).equals(NOISE_WA_HEADER)) throw new Error('no WA header');
      this.noise.mix(NOISE_WA_HEADER);
      this.pending = this.pending.subarray(NOISE_WA_HEADER.length);
      this.sawIntro = true;
    }
    while (this.pending.length >= 3) {
      const size = this.pending.readUIntBE(0, 3);
      if (this.pending.length < size + 3) return;
      const frame = this.pending.subarray(3, size + 3);
      this.pending = this.pending.subarray(size + 3);
      await this.onFrame(frame);
    }
  }

  private async onFrame(frame: Buffer): Promise<void> {
    if (this.noise.ready) {
      const node = await decodeBinaryNode(this.noise.decrypt(frame));
      this.received.push(node);
      this.answer(node);
      for (const w of [...this.waiters]) {
        if (w.match(node)) {
          this.waiters.splice(this.waiters.indexOf(w), 1);
          w.resolve(node);
        }
      }
      return;
    }
    const message = proto.HandshakeMessage.decode(frame);
    if (message.clientHello?.ephemeral) {
      const clientEphemeral = message.clientHello.ephemeral;
      this.noise.mix(clientEphemeral);
      this.noise.mix(this.ephemeral.public);
      this.noise.mixIntoKey(Curve.sharedKey(this.ephemeral.private, clientEphemeral));
      const staticSealed = this.noise.encrypt(this.server.staticKey.public);
      this.noise.mixIntoKey(Curve.sharedKey(this.server.staticKey.private, clientEphemeral));
      const certSealed = this.noise.encrypt(this.server.certChain);
      this.writeFrame(
        Buffer.from(
          proto.HandshakeMessage.encode({
            serverHello: { ephemeral: this.ephemeral.public, static: staticSealed, payload: certSealed },
          }).finish(),
        ),
      );
      return;
    }
    if (message.clientFinish?.static && message.clientFinish.payload) {
      const clientStatic = this.noise.decrypt(message.clientFinish.static);
      this.noise.mixIntoKey(Curve.sharedKey(this.ephemeral.private, clientStatic));
      this.payload = proto.ClientPayload.decode(this.noise.decrypt(message.clientFinish.payload));
      this.noise.finish();
      this.server.connected(this);
      return;
    }
    throw new Error('unexpected handshake message');
  }
}

export class FakeWhatsAppServer {
  readonly staticKey: KeyPair = Curve.generateKeyPair();
  readonly certChain: Buffer;
  readonly connections: FakeConnection[] = [];
  /** Errors while talking to a client (the connection is closed). */
  readonly errors: unknown[] = [];
  /** People on this WhatsApp, by phone digits. */
  readonly contacts = new Map<string, FakeContact>();
  private readonly rootKey: KeyPair = Curve.generateKeyPair();
  private readonly trustedBefore = { ...WA_CERT_DETAILS };
  private readonly waiters: ((c: FakeConnection) => void)[] = [];

  private constructor(private readonly wss: WebSocketServer) {
    // Root → intermediate (issuer serial 0, as Baileys expects) → leaf over our static key.
    const intermediateKey: KeyPair = Curve.generateKeyPair();
    const intermediateDetails = Buffer.from(proto.CertChain.NoiseCertificate.Details.encode({ issuerSerial: 0, key: intermediateKey.public }).finish());
    const leafDetails = Buffer.from(proto.CertChain.NoiseCertificate.Details.encode({ issuerSerial: 1, key: this.staticKey.public }).finish());
    this.certChain = Buffer.from(
      proto.CertChain.encode({
        intermediate: { details: intermediateDetails, signature: Buffer.from(Curve.sign(this.rootKey.private, intermediateDetails)) },
        leaf: { details: leafDetails, signature: Buffer.from(Curve.sign(intermediateKey.private, leafDetails)) },
      }).finish(),
    );
    WA_CERT_DETAILS.PUBLIC_KEY = Buffer.from(this.rootKey.public);
    WA_CERT_DETAILS.SERIAL = 0;
    wss.on('connection', (ws) => {
      this.connections.push(new FakeConnection(ws, this));
    });
  }

  static async start(): Promise<FakeWhatsAppServer> {
    const wss = new WebSocketServer({ host: '127.0.0.1', port: 0 });
    await new Promise<void>((resolve) => wss.once('listening', () => resolve()));
    return new FakeWhatsAppServer(wss);
  }

  /** The address to give Baileys as `waWebSocketUrl`. */
  get url(): string {
    return `ws://127.0.0.1:${(this.wss.address() as AddressInfo).port}/ws/chat`;
  }

  /** Resolves with the next connection that completes the handshake. */
  nextConnection(): Promise<FakeConnection> {
    return new Promise((resolve) => this.waiters.push(resolve));
  }

  /** Called on every connection once its handshake is done (e.g. to refuse them all). */
  onConnection: ((c: FakeConnection) => void) | undefined;

  /** Puts a person on WhatsApp (their phone has device 0 and publishes prekeys); their LID is made up. */
  addContact(phone: string, lid = `9${phone.slice(-13).padStart(13, '0')}`): FakeContact {
    const contact = new FakeContact(phone, lid);
    this.contacts.set(phone, contact);
    return contact;
  }

  /** The contact a jid names (by phone or by LID, any device). */
  contact(jid: string): FakeContact | undefined {
    const [user = '', server = ''] = jid.split('@');
    const id = user.split(':')[0] ?? '';
    if (server === 'lid') return [...this.contacts.values()].find((c) => c.lid === id);
    return this.contacts.get(id);
  }

  /** Called by a connection once its handshake is done. */
  connected(c: FakeConnection): void {
    this.onConnection?.(c);
    for (const w of this.waiters.splice(0)) w(c);
  }

  async close(): Promise<void> {
    for (const c of this.connections) c.close();
    await new Promise<void>((resolve) => this.wss.close(() => resolve()));
    WA_CERT_DETAILS.PUBLIC_KEY = this.trustedBefore.PUBLIC_KEY;
    WA_CERT_DETAILS.SERIAL = this.trustedBefore.SERIAL;
  }
}
