/**
 * Gets a message's media bytes ready for an engine. Inline (base64) media was
 * checked and stored at accept time; URL media is fetched here, once, through
 * the SSRF guard, sniffed, checked against WhatsApp's limits and stored, so a
 * retry does not download it again.
 */
import { createHash } from 'node:crypto';
import { CodedError } from '../domain/errors.js';
import type { OutgoingMedia } from '../engines/engine.js';
import { documentFilename } from '../media/filename.js';
import { isMediaKind, maxBytesFor } from '../media/kinds.js';
import { fetchMedia } from '../media/safe-fetch.js';
import { sniffMedia } from '../media/sniff.js';
import type { Store } from '../store/database.js';
import type { MediaSpool } from '../store/media-spool.js';
import { saveFetchedMedia } from '../store/messages.js';
import type { DispatchRow } from '../store/schema.js';
import { Semaphore } from './semaphore.js';

export interface MediaPreparerOptions {
  globalMaxBytes: number;
  fetchTimeoutMs: number;
  allowPrivateNetworks: boolean;
  maxConcurrentDownloads: number;
}

export class MediaPreparer {
  private readonly downloads: Semaphore;
  private readonly save;

  constructor(
    store: Store,
    private readonly spool: MediaSpool,
    private readonly options: MediaPreparerOptions,
  ) {
    this.downloads = new Semaphore(options.maxConcurrentDownloads);
    // The file first: a row that says its file was fetched always has it.
    this.save = async (id: string, bytes: Buffer, m: Omit<OutgoingMedia, 'bytes' | 'kind'>) => {
      await spool.put(id, bytes);
      await saveFetchedMedia(store, id, { mime: m.mime, size: bytes.length, sha256: m.sha256, filename: m.filename, voiceNote: m.voiceNote });
    };
  }

  async prepare(row: DispatchRow, signal?: AbortSignal): Promise<OutgoingMedia | undefined> {
    const kind = row.media_kind;
    if (kind === null) return undefined;
    if (!isMediaKind(kind)) throw new CodedError('internal_error', `Stored message has an unknown media kind`);
    if (row.media_sha256 !== null && row.media_mime !== null) {
      const bytes = await this.spool.read(row.id);
      if (bytes === undefined) throw new CodedError('media_missing', 'The stored media of this message is missing');
      return { kind, bytes, mime: row.media_mime, sha256: row.media_sha256, filename: row.media_filename ?? undefined, voiceNote: row.media_voice === 1 };
    }
    const url = row.media_url;
    if (url === null) throw new CodedError('media_missing', 'The message has neither stored media nor a URL');
    const fetched = await this.downloads.run(() =>
      fetchMedia(url, {
        maxBytes: maxBytesFor(kind, this.options.globalMaxBytes),
        deadlineMs: this.options.fetchTimeoutMs,
        allowPrivateNetworks: this.options.allowPrivateNetworks,
        ...(signal !== undefined ? { signal } : {}),
      }),
    );
    const sniffed = await sniffMedia(fetched.bytes, kind, {
      declaredMime: row.requested_mime ?? fetched.contentType,
      filename: row.requested_filename ?? undefined,
    });
    const filename =
      kind === 'document'
        ? documentFilename({ given: row.requested_filename ?? undefined, url: fetched.finalUrl, mime: sniffed.mime, extension: sniffed.extension })
        : undefined;
    const media: OutgoingMedia = {
      kind,
      bytes: fetched.bytes,
      mime: sniffed.mime,
      sha256: createHash('sha256').update(fetched.bytes).digest('hex'),
      filename,
      voiceNote: sniffed.voiceNote === true,
    };
    await this.save(row.id, fetched.bytes, media);
    return media;
  }
}
