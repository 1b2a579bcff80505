import { MB } from './kinds.js';

/**
 * Human sizes for error messages ("6.2 MB", "512 KB", "17 bytes"). One decimal
 * at most, trailing ".0" dropped, so a 5 MB limit reads "5 MB".
 */
export function formatBytes(bytes: number): string {
  if (bytes >= MB) return `${trimDecimal(bytes / MB)} MB`;
  if (bytes >= 1024) return `${trimDecimal(bytes / 1024)} KB`;
  return bytes === 1 ? '1 byte' : `${bytes} bytes`;
}

function trimDecimal(value: number): string {
  // Round down so a file 1 byte over 5 MB never prints as "5 MB; the limit is 5 MB".
  const tenths = Math.floor(value * 10) / 10;
  return tenths.toFixed(1).replace(/\.0$/, '');
}

/** "The media is 6.2 MB; the limit is 5 MB", with an exact byte count when the rounded sizes look equal. */
export function sizeComparison(subject: string, bytes: number, limit: number): string {
  const size = formatBytes(bytes);
  const max = formatBytes(limit);
  if (size === max) return `${subject} is ${bytes} bytes; the limit is ${limit} bytes (${max})`;
  return `${subject} is ${size}; the limit is ${max}`;
}
