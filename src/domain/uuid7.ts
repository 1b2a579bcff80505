/**
 * UUID version 7 (RFC 9562): 48 bits of Unix milliseconds, then random bits.
 * Message ids are v7 so that ids minted together sort together: the unique
 * index on message ids grows at its right edge instead of touching a random
 * page per insert, which keeps each group commit small.
 */
import { randomFillSync } from 'node:crypto';

export class UuidV7 {
  private readonly pool = Buffer.alloc(16 * 256);
  private offset = this.pool.length;

  constructor(private readonly now: () => number = Date.now) {}

  next(): string {
    if (this.offset >= this.pool.length) {
      randomFillSync(this.pool);
      this.offset = 0;
    }
    const b = Buffer.from(this.pool.subarray(this.offset, this.offset + 16));
    this.offset += 16;
    const ms = this.now();
    b.writeUIntBE(ms, 0, 6);
    b[6] = ((b[6] ?? 0) & 0x0f) | 0x70;
    b[8] = ((b[8] ?? 0) & 0x3f) | 0x80;
    const h = b.toString('hex');
    return `${h.slice(0, 8)}-${h.slice(8, 12)}-${h.slice(12, 16)}-${h.slice(16, 20)}-${h.slice(20)}`;
  }
}

/** The Unix milliseconds a v7 id was minted at, or undefined for other ids. */
export function uuidV7Time(id: string): number | undefined {
  if (id.length !== 36 || id[14] !== '7') return undefined;
  const ms = Number.parseInt(id.slice(0, 8) + id.slice(9, 13), 16);
  return Number.isFinite(ms) ? ms : undefined;
}
