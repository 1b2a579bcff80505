/**
 * Downloads the file of a received media message through the instance's
 * WhatsApp connection (Baileys decrypts it; expired media is re-requested
 * from the sender's phone).
 */
import { downloadMediaMessage, proto, type WAMessage } from 'baileys';
import type { Logger } from 'pino';
import { CodedError } from '../../domain/errors.js';
import type { SessionDirectory } from './engine.js';

export type InboundMediaDownloader = (instanceId: string, encoded: Buffer) => Promise<Buffer>;

export function baileysMediaDownloader(sessions: SessionDirectory, logger: Logger): InboundMediaDownloader {
  return async (instanceId, encoded) => {
    const socket = sessions.get(instanceId)?.connected;
    if (socket === undefined) throw new CodedError('instance_not_connected', 'The WhatsApp number of this instance is not connected; the file can be fetched once it is', true);
    const decoded = proto.WebMessageInfo.decode(encoded);
    const message: WAMessage = { ...decoded, key: decoded.key ?? {} };
    try {
      return await downloadMediaMessage(message, 'buffer', {}, { reuploadRequest: socket.updateMediaMessage, logger });
    } catch (err) {
      throw new CodedError('media_download_failed', `WhatsApp did not provide the file: ${err instanceof Error ? err.message.slice(0, 120) : 'unknown error'}`, true);
    }
  };
}
