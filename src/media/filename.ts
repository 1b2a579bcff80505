/**
 * The filename a document is shown with in WhatsApp. Names come from clients
 * or from URLs, so they are reduced to a plain display name: no directories
 * (a recipient saving `../../x` must not climb out of a folder), no control or
 * bidirectional-override characters (`invoice\u202Efdp.exe` displays as
 * `invoiceexe.pdf`), bounded length.
 */
const MAX_CHARS = 200;
// C0/C1 controls, DEL, and the Unicode bidi controls used to disguise extensions.
const UNSAFE_CHARS = /[\u0000-\u001f\u007f-\u009f\u061c\u200e\u200f\u202a-\u202e\u2066-\u2069]/g;
const MAX_EXTENSION_CHARS = 16;

export function sanitizeFilename(s: string): string | undefined {
  // Keep only the last path segment, for both separators (Windows clients send C:\dir\file).
  const base = s.split(/[/\\]/).pop() ?? '';
  const cleaned = base.normalize('NFC').replace(UNSAFE_CHARS, '').trim();
  if (cleaned === '' || /^\.+$/.test(cleaned)) return undefined;
  return capLength(cleaned);
}

/** Truncates by code points, keeping the extension so the file still opens with the right app. */
function capLength(name: string): string {
  const chars = Array.from(name);
  if (chars.length <= MAX_CHARS) return name;
  const dot = name.lastIndexOf('.');
  const ext = dot > 0 ? Array.from(name.slice(dot)) : [];
  const keepExt = ext.length > 1 && ext.length <= MAX_EXTENSION_CHARS ? ext : [];
  const stem = chars
    .slice(0, MAX_CHARS - keepExt.length)
    .join('')
    .trimEnd();
  return stem + keepExt.join('');
}

export interface DocumentFilenameOptions {
  given?: string;
  url?: string;
  mime: string;
  extension: string;
}

export function documentFilename(opts: DocumentFilenameOptions): string {
  const given = opts.given === undefined ? undefined : sanitizeFilename(opts.given);
  if (given !== undefined) return given;

  const fromUrl = opts.url === undefined ? undefined : urlName(opts.url);
  if (fromUrl !== undefined) {
    // `/download?id=3` names no type; add the sniffed one so the recipient can open it.
    return fromUrl.includes('.') ? fromUrl : capLength(withExtension(fromUrl, opts.extension));
  }
  return withExtension('document', opts.extension);
}

function urlName(url: string): string | undefined {
  let path: string;
  try {
    path = new URL(url).pathname;
  } catch {
    return undefined;
  }
  const segment = path.slice(path.lastIndexOf('/') + 1);
  if (segment === '') return undefined;
  // Decode each run of escapes on its own so one malformed `%zz` does not keep the rest encoded.
  const decoded = segment.replace(/(?:%[0-9a-f]{2})+/gi, (run) => {
    try {
      return decodeURIComponent(run);
    } catch {
      return run; // an invalid UTF-8 sequence stays as written
    }
  });
  return sanitizeFilename(decoded);
}

function withExtension(stem: string, extension: string): string {
  return extension === '' ? stem : `${stem}.${extension}`;
}
