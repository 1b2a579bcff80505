import { describe, expect, it } from 'vitest';
import { ApiError } from '../../src/domain/errors.js';
import { AuthFailures, clientKey } from '../../src/http/auth-failures.js';

const WRONG = new ApiError(401, 'invalid_credentials', 'wrong');
const answer = async (f: AuthFailures, user: string, address: string): Promise<number> => (await f.refuse(user, address, WRONG)).status;

describe('AuthFailures', () => {
  it('identifies IPv4 clients by address and IPv6 clients by their /64', () => {
    expect(clientKey('203.0.113.7')).toBe('203.0.113.7');
    expect(clientKey('::ffff:203.0.113.7')).toBe('203.0.113.7');
    expect(clientKey('2001:db8:1:2::1')).toBe(clientKey('2001:db8:1:2:ffff::9'));
    expect(clientKey('2001:db8:1:2::1')).not.toBe(clientKey('2001:db8:1:3::1'));
  });

  it('locks the pair after the threshold; rotating addresses inside one /64 does not escape it', async () => {
    const f = new AuthFailures({ maxFailures: 3, windowSeconds: 60, lockoutDelayMs: 0 });
    for (let i = 1; i <= 3; i++) expect(await answer(f, 'u', `2001:db8::${i}`)).toBe(401);
    expect(await answer(f, 'u', '2001:db8::99')).toBe(429);
    expect(await answer(f, 'other-user', '2001:db8::99')).toBe(401);
    expect(await answer(f, 'u', '2001:db9::1')).toBe(401);
  });

  it('tracks a bounded number of pairs, so made-up user_ids cannot grow memory', async () => {
    const f = new AuthFailures({ maxFailures: 3, windowSeconds: 60, lockoutDelayMs: 0, capacity: 100 });
    for (let i = 0; i < 10_000; i++) await f.refuse(`random-${i}`, '198.51.100.1', WRONG);
    expect(f.size).toBe(100);
  });
});
