import type { LookupAddress, LookupOptions } from 'node:dns';
import { describe, expect, it } from 'vitest';
import { CodedError } from '../../src/domain/errors.js';
import { isPublicAddress } from '../../src/media/address-guard.js';
import { createGuardedLookup, type ResolvedAddress } from '../../src/media/guarded-agent.js';

interface Answer {
  error: NodeJS.ErrnoException | null;
  address: string | LookupAddress[];
  family?: number;
}

function resolveWith(records: ResolvedAddress[], options: LookupOptions): Promise<Answer> {
  const lookup = createGuardedLookup(async () => records, isPublicAddress);
  return new Promise((resolve) => {
    lookup('media.test', options, (error, address, family) => resolve({ error, address, family }));
  });
}

const v4: ResolvedAddress = { address: '93.184.216.34', family: 4 };
const v6: ResolvedAddress = { address: '2606:2800:220:1:248:1893:25c8:1946', family: 6 };

describe('guarded lookup', () => {
  it('answers every record when Node asks for all', async () => {
    const answer = await resolveWith([v6, v4], { all: true });
    expect(answer.error).toBeNull();
    expect(answer.address).toEqual([v6, v4]);
  });

  it('answers the first record when Node asks for one', async () => {
    expect(await resolveWith([v4, v6], {})).toEqual({ error: null, address: v4.address, family: 4 });
  });

  it('honours a requested family', async () => {
    expect(await resolveWith([v4, v6], { family: 6 })).toEqual({ error: null, address: v6.address, family: 6 });
    expect((await resolveWith([v4], { family: 6 })).error?.code).toBe('ENOTFOUND');
  });

  it('refuses the host when any record is private, even of another family', async () => {
    const answer = await resolveWith([v4, { address: 'fd00::1', family: 6 }], { family: 4 });
    expect(answer.error).toBeInstanceOf(CodedError);
    expect((answer.error as CodedError).code).toBe('media_url_blocked');
  });

  it('reports an empty answer as not found', async () => {
    expect((await resolveWith([], { all: true })).error?.code).toBe('ENOTFOUND');
  });
});
