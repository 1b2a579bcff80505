/** JSON read in pieces builds what JSON.parse builds, hands one string to a sink, and refuses what JSON.parse refuses. */
import { describe, expect, it } from 'vitest';
import { ApiError } from '../../src/domain/errors.js';
import { JsonStream, type StringSink } from '../../src/http/json-stream.js';

function read(text: string, cut: number, sunk: string[] = []): unknown {
  const sink = (): StringSink => {
    const pieces: string[] = [];
    return {
      push: (p) => pieces.push(p),
      end: () => {
        sunk.push(pieces.join(''));
        return '<sunk>';
      },
    };
  };
  const j = new JsonStream(['data'], 'base64', sink, 32);
  for (let i = 0; i < text.length; i += cut) j.write(text.slice(i, i + cut));
  return j.end();
}

const code = (fn: () => unknown): string | undefined => {
  try {
    fn();
    return undefined;
  } catch (err) {
    return err instanceof ApiError ? err.code : 'other';
  }
};

describe('JsonStream', () => {
  const samples = [
    '{"phone":"554499999999","data":{"text":"hi","n":-1.5e3,"ok":true,"no":null,"list":[1,[2,{}],[]],"e":{}}}',
    '{"a":"esc \\" \\\\ \\/ \\b\\f\\n\\r\\t \\u00e9 \\ud83d\\ude00 é 😀"}',
    ' \n{ "x" : [ 0 , 10 , -0.5 ] , "y" : "" } \n',
    '[1,2,3]',
    '"just a string"',
    '42',
  ];
  it('builds what JSON.parse builds, cut anywhere', () => {
    for (const s of samples) for (const cut of [1, 2, 3, 7, 1000]) expect(read(s, cut)).toEqual(JSON.parse(s));
  });

  it('hands the sink string to the sink, unescaped, and keeps its placeholder', () => {
    const sunk: string[] = [];
    const s = '{"data":{"text":"t","base64":"QUJD\\/RA==","x":1},"base64":"not here"}';
    for (const cut of [1, 5, 100]) expect(read(s, cut, sunk)).toEqual({ data: { text: 't', base64: '<sunk>', x: 1 }, base64: 'not here' });
    expect(sunk).toEqual(['QUJD/RA==', 'QUJD/RA==', 'QUJD/RA==']);
  });

  it('refuses what JSON.parse refuses', () => {
    for (const bad of [
      '',
      '{',
      '{"a":}',
      '{"a" 1}',
      '[1,]',
      '{,}',
      '{"a":1,}',
      '01',
      '1.',
      '{"a":tru}',
      '"\u0001"',
      '"\\x"',
      '"\\u12"',
      '{} {}',
      '{"a":1}}',
      ']',
      'nul',
      '{"a":"b"',
    ]) {
      expect(() => JSON.parse(bad)).toThrow();
      expect(code(() => read(bad, 1))).toBe('invalid_json');
    }
  });

  it('refuses nesting past the limit and keys that reach a prototype', () => {
    expect(code(() => read(`${'['.repeat(40)}${']'.repeat(40)}`, 3))).toBe('invalid_body');
    expect(code(() => read('{"__proto__":{"polluted":1}}', 4))).toBe('invalid_body');
    expect(({} as Record<string, unknown>)['polluted']).toBeUndefined();
  });
});
