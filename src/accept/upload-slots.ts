/**
 * Large uploads in flight at once, in all and per instance. A media send
 * whose body is large takes a slot before its body is read (right after
 * authentication) and gives it back when its response is done; past either
 * bound it is refused with 429 and Retry-After, so a burst of big files
 * cannot take the gateway's memory, and one tenant cannot take every slot.
 */
import { ApiError } from '../domain/errors.js';

export interface UploadSlotOptions {
  /** Bodies larger than this take a slot (smaller ones are cheap and never wait). */
  largeBytes: number;
  maxInFlight: number;
  maxPerInstance: number;
}

export class UploadSlots {
  private inFlight = 0;
  private readonly perInstance = new Map<string, number>();

  constructor(private readonly options: UploadSlotOptions) {}

  /** Whether a body of `bytes` (undefined: unknown, chunked) needs a slot. */
  isLarge(bytes: number | undefined): boolean {
    return bytes === undefined || bytes > this.options.largeBytes;
  }

  /** Takes a slot for the instance, or throws 429; the returned function gives it back (once). */
  take(instanceId: string): () => void {
    const mine = this.perInstance.get(instanceId) ?? 0;
    if (mine >= this.options.maxPerInstance) {
      throw this.refusal(`This instance already has ${mine} large uploads in progress; send the next when one has finished`);
    }
    if (this.inFlight >= this.options.maxInFlight) {
      throw this.refusal('The gateway is receiving as many large uploads as it takes at once; retry shortly');
    }
    this.inFlight++;
    this.perInstance.set(instanceId, mine + 1);
    let given = false;
    return () => {
      if (given) return;
      given = true;
      this.inFlight--;
      const left = (this.perInstance.get(instanceId) ?? 1) - 1;
      if (left <= 0) this.perInstance.delete(instanceId);
      else this.perInstance.set(instanceId, left);
    };
  }

  get current(): number {
    return this.inFlight;
  }

  private refusal(message: string): ApiError {
    return new ApiError(429, 'too_many_uploads', message, undefined, { 'Retry-After': '1' });
  }
}
