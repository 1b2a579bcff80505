/**
 * The smallest byte sequences file-type recognises for each format, built by
 * hand so the tests do not depend on binary fixtures.
 */
const ascii = (s: string): number[] => Array.from(s, (c) => c.charCodeAt(0));
const u32be = (n: number): number[] => [(n >>> 24) & 255, (n >>> 16) & 255, (n >>> 8) & 255, n & 255];
const pad = (bytes: number[], size = 512): Uint8Array => {
  const out = new Uint8Array(Math.max(size, bytes.length));
  out.set(bytes);
  return out;
};

export const png = (): Uint8Array =>
  pad(
    [
      ...[0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a],
      ...u32be(13),
      ...ascii('IHDR'),
      ...u32be(1),
      ...u32be(1),
      8,
      6,
      0,
      0,
      0,
      ...u32be(0),
      ...u32be(0),
      ...ascii('IEND'),
      ...u32be(0xae426082),
    ],
    0,
  );

export const jpeg = (): Uint8Array => pad([0xff, 0xd8, 0xff, 0xe0, 0x00, 0x10, ...ascii('JFIF'), 0, 1, 1]);

export const gif = (): Uint8Array => pad(ascii('GIF89a'));

export const webp = (): Uint8Array => pad([...ascii('RIFF'), 0x24, 0, 0, 0, ...ascii('WEBPVP8 ')]);

export const pdf = (): Uint8Array => pad(ascii('%PDF-1.4\n%\xe2\xe3\xcf\xd3\n1 0 obj\n<<>>\nendobj\n'));

/** An ISO-BMFF `ftyp` box with the given major brand: isom → video/mp4, 3gp5 → video/3gpp, "M4A " → audio. */
export const isoBmff = (brand: string): Uint8Array =>
  pad([...u32be(24), ...ascii('ftyp'), ...ascii(brand), ...u32be(0x200), ...ascii(brand), ...ascii('mp41')]);

/** An Ogg page whose first packet starts with `head` (OpusHead, \x01vorbis). */
export const ogg = (head: number[]): Uint8Array =>
  pad([...ascii('OggS'), 0, 0x02, ...new Array<number>(8).fill(0), ...u32be(1), ...u32be(0), ...u32be(0), 1, head.length, ...head]);

export const opus = (): Uint8Array => ogg([...ascii('OpusHead'), 1, 1, 0x38, 0x01, ...u32be(0x80bb0000), 0, 0, 0]);

export const vorbis = (): Uint8Array => ogg([1, ...ascii('vorbis'), 0, 0, 0, 0, 1, ...u32be(0x44ac0000)]);

/** MPEG-1 Layer III frames (128 kbit/s, 44.1 kHz: 417 bytes each). */
export const mp3 = (): Uint8Array => {
  const frame = pad([0xff, 0xfb, 0x90, 0x64], 417);
  const out = new Uint8Array(frame.length * 4);
  for (let i = 0; i < 4; i++) out.set(frame, i * frame.length);
  return out;
};

/** Legacy Office (doc/xls/ppt) compound file header. */
export const cfb = (): Uint8Array => pad([0xd0, 0xcf, 0x11, 0xe0, 0xa1, 0xb1, 0x1a, 0xe1], 1024);

export const text = (): Uint8Array => new TextEncoder().encode('name,amount\nalice,3\nbob,4\n');
