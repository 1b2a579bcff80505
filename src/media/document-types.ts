/**
 * Fallback typing for documents whose bytes file-type cannot identify: text
 * formats (txt, csv, json, svg, html) have no magic bytes. The extension and
 * the declared MIME are client claims, so they only ever pick a label for a
 * document; they never let bytes pass as an image, video or audio.
 */
const BY_EXTENSION: Readonly<Record<string, string>> = {
  txt: 'text/plain',
  csv: 'text/csv',
  tsv: 'text/tab-separated-values',
  json: 'application/json',
  xml: 'application/xml',
  md: 'text/markdown',
  ics: 'text/calendar',
  vcf: 'text/vcard',
  rtf: 'application/rtf',
  pdf: 'application/pdf',
  doc: 'application/msword',
  docx: 'application/vnd.openxmlformats-officedocument.wordprocessingml.document',
  xls: 'application/vnd.ms-excel',
  xlsx: 'application/vnd.openxmlformats-officedocument.spreadsheetml.sheet',
  ppt: 'application/vnd.ms-powerpoint',
  pptx: 'application/vnd.openxmlformats-officedocument.presentationml.presentation',
  odt: 'application/vnd.oasis.opendocument.text',
  ods: 'application/vnd.oasis.opendocument.spreadsheet',
  odp: 'application/vnd.oasis.opendocument.presentation',
  zip: 'application/zip',
};

const EXTENSION_BY_MIME: ReadonlyMap<string, string> = new Map(Object.entries(BY_EXTENSION).map(([ext, mime]) => [mime, ext]));

/**
 * Types that browsers and previewers execute or render as active content.
 * Labelling an unidentified document with one of them would invite a viewer
 * to run it, so such claims fall back to application/octet-stream.
 */
const ACTIVE_CONTENT = new Set([
  'text/html',
  'application/xhtml+xml',
  'image/svg+xml',
  'text/javascript',
  'application/javascript',
  'application/ecmascript',
  'text/ecmascript',
  'application/x-sh',
  'application/x-msdownload',
  'application/hta',
]);

const MIME_TOKEN = /^[a-z0-9][a-z0-9!#$&^_.+-]*\/[a-z0-9][a-z0-9!#$&^_.+-]*$/;
const EXTENSION_TOKEN = /^[a-z0-9]{1,10}$/;

/**
 * A declared MIME (possibly with parameters, e.g. a Content-Type) reduced to
 * `type/subtype` when it is safe to use as a document's label. Media families
 * are refused too: genuine images, videos and audio have magic bytes, so a
 * claim that file-type could not confirm is not believable.
 */
export function usableDeclaredMime(declared: string | undefined): string | undefined {
  const base = declared?.split(';')[0]?.trim().toLowerCase();
  if (base === undefined || !MIME_TOKEN.test(base)) return undefined;
  if (base === 'application/octet-stream' || ACTIVE_CONTENT.has(base)) return undefined;
  if (/^(image|video|audio)\//.test(base)) return undefined;
  return base;
}

/** The lower-cased extension of a filename, if it has a plausible one. */
export function extensionOf(filename: string | undefined): string | undefined {
  if (filename === undefined) return undefined;
  const dot = filename.lastIndexOf('.');
  if (dot <= 0) return undefined;
  const ext = filename.slice(dot + 1).toLowerCase();
  return EXTENSION_TOKEN.test(ext) ? ext : undefined;
}

export function mimeForExtension(ext: string | undefined): string | undefined {
  return ext === undefined ? undefined : BY_EXTENSION[ext];
}

export function extensionForMime(mime: string): string | undefined {
  return EXTENSION_BY_MIME.get(mime);
}
