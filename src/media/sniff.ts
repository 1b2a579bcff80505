import { fileTypeFromBuffer } from 'file-type';
import { CodedError } from '../domain/errors.js';
import { extensionForMime, extensionOf, mimeForExtension, usableDeclaredMime } from './document-types.js';
import type { MediaKind } from './kinds.js';

/**
 * Decides a media item's real type from its magic bytes. Clients mislabel files
 * all the time and WhatsApp refuses types outside its table, so the declared
 * MIME and filename only ever label documents that have no magic bytes.
 */
export interface SniffedMedia {
  mime: string;
  extension: string;
  /** Set (true) only for OGG/Opus, the one format WhatsApp plays as a voice note. */
  voiceNote?: boolean;
}

export interface SniffHints {
  declaredMime?: string;
  filename?: string;
  /** How error messages name the media, e.g. `data.base64` or `data.url`. */
  field?: string;
}

interface Accepted {
  mime: string;
  extension: string;
  voiceNote?: true;
}

/** Sniffed MIME → what we send to WhatsApp. Normalises aliases (m4a) to the names in Meta's table. */
const ACCEPTED: Readonly<Record<Exclude<MediaKind, 'document'>, Readonly<Record<string, Accepted>>>> = {
  image: {
    'image/jpeg': { mime: 'image/jpeg', extension: 'jpg' },
    'image/png': { mime: 'image/png', extension: 'png' },
  },
  video: {
    'video/mp4': { mime: 'video/mp4', extension: 'mp4' },
    'video/3gpp': { mime: 'video/3gpp', extension: '3gp' },
  },
  audio: {
    'audio/aac': { mime: 'audio/aac', extension: 'aac' },
    'audio/amr': { mime: 'audio/amr', extension: 'amr' },
    'audio/mpeg': { mime: 'audio/mpeg', extension: 'mp3' },
    'audio/mp4': { mime: 'audio/mp4', extension: 'm4a' },
    'audio/x-m4a': { mime: 'audio/mp4', extension: 'm4a' },
    // file-type reports any ISO-BMFF file without an audio brand as video/mp4,
    // which includes most .m4a files written by ffmpeg; the container is the same.
    'video/mp4': { mime: 'audio/mp4', extension: 'm4a' },
    'audio/ogg; codecs=opus': { mime: 'audio/ogg; codecs=opus', extension: 'ogg', voiceNote: true },
  },
};

const ACCEPTED_NAMES: Readonly<Record<Exclude<MediaKind, 'document'>, string>> = {
  image: 'JPEG or PNG',
  video: 'MP4 or 3GPP',
  audio: 'AAC, AMR, MP3, MP4 audio or OGG/Opus',
};

export async function sniffMedia(bytes: Uint8Array, kind: MediaKind, hints: SniffHints): Promise<SniffedMedia> {
  const subject = hints.field ?? 'The media';
  if (bytes.length === 0) throw new CodedError('media_empty', `${subject} is empty (0 bytes)`);
  const detected = await fileTypeFromBuffer(bytes);
  if (kind === 'document') return documentType(detected, hints);

  if (detected === undefined) {
    throw new CodedError(
      'media_type_unknown',
      `${subject} is not a recognisable ${kind} file: its type cannot be determined from its content (WhatsApp accepts ${ACCEPTED_NAMES[kind]} for ${kind})`,
    );
  }
  const accepted = ACCEPTED[kind][detected.mime];
  if (accepted !== undefined) return { ...accepted };
  if (familyOf(detected.mime) === kind) {
    throw new CodedError('media_type_not_allowed', `${subject} holds ${detected.mime}, which WhatsApp does not accept as ${kind}; use ${ACCEPTED_NAMES[kind]}`);
  }
  throw new CodedError('media_type_mismatch', `${subject} holds ${detected.mime}, which cannot be sent as ${kind}`);
}

interface Detected {
  mime: string;
  ext: string;
}

/** Documents may be any type; the work is choosing an honest label. */
function documentType(detected: Detected | undefined, hints: SniffHints): SniffedMedia {
  const hintedExt = extensionOf(hints.filename);
  const hinted = usableDeclaredMime(hints.declaredMime) ?? mimeForExtension(hintedExt);
  if (detected !== undefined) {
    // Legacy Office files are all one container format (CFB); only the hint tells doc from xls.
    if (detected.mime === 'application/x-cfb' && hinted !== undefined && LEGACY_OFFICE.has(hinted)) {
      return { mime: hinted, extension: extensionForMime(hinted) ?? detected.ext };
    }
    return { mime: detected.mime, extension: detected.ext };
  }
  if (hinted !== undefined) {
    return { mime: hinted, extension: extensionForMime(hinted) ?? hintedExt ?? 'bin' };
  }
  return { mime: 'application/octet-stream', extension: 'bin' };
}

const LEGACY_OFFICE = new Set(['application/msword', 'application/vnd.ms-excel', 'application/vnd.ms-powerpoint']);

function familyOf(mime: string): MediaKind {
  const top = mime.split('/')[0];
  return top === 'image' || top === 'video' || top === 'audio' ? top : 'document';
}
