/**
 * The one interface every transport implements (sandbox, baileys, cloud).
 * The dispatcher hands it a fully prepared message (media already downloaded
 * and checked) and learns the outcome; receipts flow back through the sink it
 * was constructed with. Capabilities are declared, never thrown at run time.
 */
import type { MediaKind } from '../media/kinds.js';
import type { MessageType } from '../domain/message.js';
import type { Receipt } from '../store/receipts.js';
import type { SessionSnapshot } from '../domain/session.js';

/** Every engine Connexa knows; which ones a gateway runs is its own list. */
export type EngineName = 'sandbox' | 'baileys' | 'cloud';
export const ENGINE_NAMES: readonly EngineName[] = ['sandbox', 'baileys', 'cloud'];

export function isEngineName(s: string): s is EngineName {
  return (ENGINE_NAMES as readonly string[]).includes(s);
}

export interface OutgoingMedia {
  kind: MediaKind;
  bytes: Buffer;
  mime: string;
  sha256: string;
  filename: string | undefined;
  voiceNote: boolean;
}

export interface OutgoingMessage {
  messageId: string;
  instanceId: string;
  type: MessageType;
  recipient: string;
  /** Text body, or the caption for media (audio: sent as a follow-up text). */
  text: string | undefined;
  media: OutgoingMedia | undefined;
  /** 1 on the first attempt; engines may use it, e.g. the sandbox's flaky numbers. */
  attempt: number;
  /** Aborted when the gateway stops: waits (pacing) end early, the message is retried. */
  signal?: AbortSignal;
}

export interface SendResult {
  /** The provider's id for the (first part of the) message. */
  providerId: string;
}

export interface EngineCapabilities {
  /** Whether the engine can put a caption on audio (WhatsApp cannot). */
  audioCaption: boolean;
  /** Whether a number must be linked (QR code or pairing code) before sending. */
  linking: boolean;
  /**
   * How many recipients of one instance are worth working on at once. A paced
   * engine sends one message at a time per number, so more lanes would only
   * wait, holding places other instances need.
   */
  lanesPerInstance: number;
}

/**
 * Optional capability of an engine whose instances can be unable to send for a
 * while (a WhatsApp number not linked, reconnecting, logged out). Their
 * messages then wait, `queued`, without spending attempts, and go out in order
 * once the instance can send again. Engines without it can always send.
 */
export interface SendReadiness {
  /** Whether a message of this instance can go out now. */
  canSend(instanceId: string): boolean;
  /** Tells `listener` each time an instance becomes able to send. */
  onReady(listener: (instanceId: string) => void): void;
}

/** Optional capability: whether a number is on WhatsApp, as the engine can tell. */
export interface ContactLookup {
  /**
   * The jid a number resolves to, or null when it is not on WhatsApp. Throws
   * CodedError `instance_not_connected` when the engine cannot ask now (no
   * linked number); other CodedErrors are lookups that failed for a while.
   */
  lookup(instanceId: string, phone: string): Promise<{ jid: string | null }>;
}

/**
 * Optional capability of an engine without linking whose instances still have
 * a state of their own (a Cloud API token rejected: `failed`).
 */
export interface InstanceStates {
  snapshot(instanceId: string): Promise<SessionSnapshot>;
}

export interface ReceiptSink {
  /** Resolves once the receipts are durably applied. */
  record(receipts: Receipt[]): Promise<void>;
}

export interface Engine {
  readonly name: EngineName;
  readonly capabilities: EngineCapabilities;
  readonly readiness?: SendReadiness;
  readonly contacts?: ContactLookup;
  readonly states?: InstanceStates;
  /** Throws CodedError: `transient` ones are retried with backoff. */
  send(message: OutgoingMessage): Promise<SendResult>;
  start(): Promise<void>;
  stop(): Promise<void>;
}
