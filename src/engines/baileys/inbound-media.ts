/**
 * Downloads the file of a received media message through the instance's
 * WhatsApp connection, as a stream (Baileys decrypts it on the way; the file
 * is never held whole in memory). WhatsApp's media servers drop files after a
 * while: then the sender's phone is asked to upload it again, and where it
 * went is handed back (`refreshed`) to be kept, so the next download goes
 * straight there instead of asking the phone again.
 */
import type { Readable } from 'node:stream';
import { downloadMediaMessage, proto, type WAMessage } from 'baileys';
import type { Logger } from 'pino';
import { CodedError } from '../../domain/errors.js';
import type { SessionDirectory } from './engine.js';

export type InboundMediaDownloader = (instanceId: string, encoded: Buffer, refreshed: (encoded: Buffer) => Promise<void>) => Promise<Readable>;

/** Baileys' HTTP errors carry the status in `output.statusCode` (404/410: the file is gone from the media servers). */
function gone(err: unknown): boolean {
  const status = (err as { output?: { statusCode?: unknown } } | null)?.output?.statusCode;
  return status === 404 || status === 410;
}

function failure(err: unknown): CodedError {
  return new CodedError(
    'media_download_failed',
    `WhatsApp did not provide the file: ${err instanceof Error ? err.message.slice(0, 120) : 'unknown error'}`,
    true,
  );
}

export function baileysMediaDownloader(sessions: SessionDirectory, logger: Logger): InboundMediaDownloader {
  return async (instanceId, encoded, refreshed) => {
    const socket = sessions.get(instanceId)?.connected;
    if (socket === undefined)
      throw new CodedError('instance_not_connected', 'The WhatsApp number of this instance is not connected; the file can be fetched once it is', true);
    const decoded = proto.WebMessageInfo.decode(encoded);
    const message: WAMessage = { ...decoded, key: decoded.key ?? {} };
    try {
      // No re-upload context for Baileys: its own retry looks for a `status` its HTTP errors do not have.
      return await downloadMediaMessage(message, 'stream', {});
    } catch (err) {
      if (!gone(err)) throw failure(err);
    }
    try {
      logger.info({ instanceId, id: message.key.id }, "media expired on WhatsApp's servers; asking the sender's phone to upload it again");
      const updated = await socket.updateMediaMessage(message);
      await refreshed(Buffer.from(proto.WebMessageInfo.encode(updated).finish()));
      return await downloadMediaMessage(updated, 'stream', {});
    } catch (err) {
      throw failure(err);
    }
  };
}
