/** The nesting limit reads JSON text as the parser will: brackets inside strings do not count. */
import { describe, expect, it } from 'vitest';
import { nestsDeeperThan } from '../../src/http/json-body.js';

describe('nestsDeeperThan', () => {
  it('counts arrays and objects, at the limit and one past it', () => {
    expect(nestsDeeperThan('{"a":[[1]]}', 3)).toBe(false);
    expect(nestsDeeperThan('{"a":[[[1]]]}', 3)).toBe(true);
    expect(nestsDeeperThan('[{},{},{}]', 2)).toBe(false);
  });

  it('ignores brackets in strings, escaped quotes included', () => {
    expect(nestsDeeperThan(`{"t":"${'['.repeat(100)}"}`, 2)).toBe(false);
    expect(nestsDeeperThan('{"t":"a\\"[[[[","u":1}', 1)).toBe(false);
    expect(nestsDeeperThan('{"t":"a\\\\","u":[[1]]}', 2)).toBe(true);
  });

  it('leaves malformed text to the parser', () => {
    expect(nestsDeeperThan('{"t":"never closed', 1)).toBe(false);
  });
});
