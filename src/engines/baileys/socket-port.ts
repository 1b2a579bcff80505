/**
 * The part of a Baileys socket the engine uses, typed from Baileys' own
 * WASocket so a fake for tests cannot drift from the real thing.
 */
import type { AuthenticationState, BinaryNode, WASocket } from 'baileys';

export type WASocketPort = Pick<
  WASocket,
  'ev' | 'sendMessage' | 'sendPresenceUpdate' | 'onWhatsApp' | 'requestPairingCode' | 'logout' | 'end' | 'user' | 'updateMediaMessage'
> & {
  /** Baileys' LID↔phone mapping (learnt from usync answers and WhatsApp's notifications). */
  signalRepository?: { lidMapping: { getPNForLID(lid: string): Promise<string | null> } };
  /** The socket's connection: every decoded stanza is emitted on it as a `frame`. */
  ws: {
    on(event: 'frame', listener: (frame: BinaryNode) => void): unknown;
    off(event: 'frame', listener: (frame: BinaryNode) => void): unknown;
  };
};

/** Builds a new socket on an auth state; each call is a new connection attempt. */
export type SocketFactory = (auth: AuthenticationState, instanceId: string) => WASocketPort;
