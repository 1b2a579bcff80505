/**
 * The part of a Baileys socket the engine uses, typed from Baileys' own
 * WASocket so a fake for tests cannot drift from the real thing.
 */
import type { AuthenticationState, WASocket } from 'baileys';

export type WASocketPort = Pick<WASocket, 'ev' | 'sendMessage' | 'sendPresenceUpdate' | 'onWhatsApp' | 'requestPairingCode' | 'logout' | 'end' | 'user' | 'updateMediaMessage'>;

/** Builds a new socket on an auth state; each call is a new connection attempt. */
export type SocketFactory = (auth: AuthenticationState, instanceId: string) => WASocketPort;
