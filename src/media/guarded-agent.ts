import { promises as dns, type LookupAddress, type LookupOptions } from 'node:dns';
import { Agent } from 'undici';
import { blockedUrl } from './media-url.js';

/**
 * An undici Agent whose DNS lookup refuses hosts with any disallowed address.
 * The check runs inside the connect path, on the very records the socket then
 * connects to, so a DNS answer cannot change between check and connect
 * (rebinding). Node does not call `lookup` for IP literals: callers check those.
 */
export interface ResolvedAddress {
  address: string;
  family: 4 | 6;
}

export type MediaLookup = (hostname: string) => Promise<ResolvedAddress[]>;

export type LookupCallback = (error: NodeJS.ErrnoException | null, address: string | LookupAddress[], family?: number) => void;

/** A `net.connect` lookup function: Node asks for all records (`all`, Happy Eyeballs) or one. */
export type NodeLookup = (hostname: string, options: LookupOptions, callback: LookupCallback) => void;

export function createGuardedLookup(lookup: MediaLookup, isAllowed: (ip: string) => boolean): NodeLookup {
  return (hostname, options, callback) => {
    lookup(hostname).then(
      (records) => {
        // One bad record is enough to refuse: a round-robin answer mixing a public
        // and an internal address would otherwise reach the internal one sometimes.
        if (records.some((r) => !isAllowed(r.address))) return callback(blockedUrl(hostname), '');
        const wanted = options.family === 4 || options.family === 6 ? options.family : undefined;
        const usable = records.filter((r) => wanted === undefined || r.family === wanted);
        const first = usable[0];
        if (first === undefined) return callback(notFound(hostname), '');
        if (options.all === true) return callback(null, usable);
        return callback(null, first.address, first.family);
      },
      (error: unknown) => callback(error instanceof Error ? error : notFound(hostname), ''),
    );
  };
}

export function createGuardedAgent(lookup: MediaLookup, isAllowed: (ip: string) => boolean): Agent {
  return new Agent({ connect: { lookup: createGuardedLookup(lookup, isAllowed) } });
}

/** The operating system's resolver (getaddrinfo), all A and AAAA records, in resolver order. */
export async function systemLookup(hostname: string): Promise<ResolvedAddress[]> {
  const records = await dns.lookup(hostname, { all: true, verbatim: true });
  return records.map((r) => ({ address: r.address, family: r.family === 6 ? 6 : 4 }));
}

function notFound(hostname: string): NodeJS.ErrnoException {
  const error: NodeJS.ErrnoException = new Error(`No usable address for ${hostname}`);
  error.code = 'ENOTFOUND';
  return error;
}
