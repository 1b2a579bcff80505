/**
 * JSON read as it arrives, in pieces of text: the whole value is built as
 * JSON.parse would build it, except one string, the value of `sinkKey` in
 * the object at `sinkPath`, which is handed to a sink piece by piece instead
 * of being kept (a base64 file of tens of megabytes is never one string). No
 * recursion: nesting is bounded by `maxDepth`. Keys that could reach an
 * object's prototype (`__proto__`, `constructor`) are refused, as Fastify's
 * own parser does.
 */
import { ApiError } from '../domain/errors.js';

export interface StringSink {
  push(piece: string): void;
  /** The string ended; the value to keep in its place. */
  end(): unknown;
}

type Frame =
  | { kind: 'object'; value: Record<string, unknown>; key: string | undefined; expect: 'key' | 'colon' | 'value' | 'comma'; path: string[] }
  | { kind: 'array'; value: unknown[]; expect: 'value' | 'comma'; path: string[] };

const notJson = (): ApiError => new ApiError(400, 'invalid_json', 'The request body is not valid JSON');
const ESCAPES: Readonly<Record<string, string>> = { '"': '"', '\\': '\\', '/': '/', b: '\b', f: '\f', n: '\n', r: '\r', t: '\t' };
const NUMBER = /^-?(0|[1-9]\d*)(\.\d+)?([eE][+-]?\d+)?$/;

export class JsonStream {
  private readonly stack: Frame[] = [];
  private root: { value: unknown } | undefined;
  /** A string being read: its pieces (or its sink), whether it is a key, an escape in progress. */
  private str: { pieces: string[]; sink: StringSink | undefined; isKey: boolean; escape: string | undefined } | undefined;
  /** A number or literal being read. */
  private bare = '';

  constructor(
    private readonly sinkPath: string[],
    private readonly sinkKey: string,
    private readonly newSink: () => StringSink,
    private readonly maxDepth: number,
  ) {}

  write(text: string): void {
    let i = 0;
    while (i < text.length) {
      if (this.str !== undefined) {
        i = this.readString(text, i);
        continue;
      }
      const c = text[i] as string;
      if (this.bare !== '' && !/[0-9a-zA-Z.+-]/.test(c)) this.endBare();
      if (c === ' ' || c === '\t' || c === '\n' || c === '\r') {
        i++;
        continue;
      }
      if (/[0-9a-zA-Z.+-]/.test(c)) {
        this.expectValue();
        this.bare += c;
        if (this.bare.length > 64) throw notJson();
        i++;
        continue;
      }
      this.punctuation(c);
      i++;
    }
  }

  /** The whole value; throws unless the text was one complete JSON value. */
  end(): unknown {
    if (this.str !== undefined) throw notJson();
    if (this.bare !== '') this.endBare();
    if (this.root === undefined || this.stack.length > 0) throw notJson();
    return this.root.value;
  }

  private punctuation(c: string): void {
    const top = this.stack[this.stack.length - 1];
    switch (c) {
      case '{':
      case '[': {
        const path = this.childPath();
        this.expectValue();
        if (this.stack.length >= this.maxDepth) throw new ApiError(400, 'invalid_body', `The JSON body nests deeper than ${this.maxDepth} levels`);
        this.stack.push(c === '{' ? { kind: 'object', value: {}, key: undefined, expect: 'key', path } : { kind: 'array', value: [], expect: 'value', path });
        return;
      }
      case '}':
      case ']': {
        if (top === undefined || (c === '}') !== (top.kind === 'object')) throw notJson();
        // Empty containers close where a key or value was expected; otherwise after a value.
        const emptyOk = top.kind === 'object' ? top.expect === 'key' && Object.keys(top.value).length === 0 : top.expect === 'value' && top.value.length === 0;
        if (top.expect !== 'comma' && !emptyOk) throw notJson();
        this.stack.pop();
        this.complete(top.value);
        return;
      }
      case ':':
        if (top?.kind !== 'object' || top.expect !== 'colon') throw notJson();
        top.expect = 'value';
        return;
      case ',':
        if (top === undefined || top.expect !== 'comma') throw notJson();
        top.expect = top.kind === 'object' ? 'key' : 'value';
        return;
      case '"': {
        const isKey = top?.kind === 'object' && top.expect === 'key';
        if (!isKey) this.expectValue();
        const sinkHere = !isKey && top?.kind === 'object' && top.key === this.sinkKey && samePath(top.path, this.sinkPath);
        this.str = { pieces: [], sink: sinkHere ? this.newSink() : undefined, isKey, escape: undefined };
        return;
      }
      default:
        throw notJson();
    }
  }

  /** Reads string content from `i`; returns where reading stopped. */
  private readString(text: string, i: number): number {
    const s = this.str as NonNullable<JsonStream['str']>;
    if (s.escape !== undefined) return this.readEscape(text, i, s);
    const quote = text.indexOf('"', i);
    const slash = text.indexOf('\\', i);
    const stop = quote === -1 ? slash : slash === -1 ? quote : Math.min(quote, slash);
    const run = text.slice(i, stop === -1 ? text.length : stop);
    // Raw control characters are not JSON. A sunk string (megabytes of base64) is only searched for the
    // three a base64 decoder would skip as whitespace; every other one is refused by the sink itself.
    if (s.sink !== undefined ? run.includes('\n') || run.includes('\r') || run.includes('\t') : /[\u0000-\u001f]/.test(run)) throw notJson();
    if (run !== '') this.emit(s, run);
    if (stop === -1) return text.length;
    if (stop === slash) {
      s.escape = '';
      return stop + 1;
    }
    this.str = undefined;
    if (s.isKey) {
      const key = s.pieces.join('');
      if (key === '__proto__' || key === 'constructor') throw new ApiError(400, 'invalid_body', `The key "${key}" is not allowed in the body`);
      const top = this.stack[this.stack.length - 1];
      if (top?.kind === 'object') {
        top.key = key;
        top.expect = 'colon';
      }
    } else {
      this.complete(s.sink !== undefined ? s.sink.end() : s.pieces.join(''));
    }
    return stop + 1;
  }

  private readEscape(text: string, i: number, s: NonNullable<JsonStream['str']>): number {
    const escape = (s.escape ?? '') + (text[i] ?? '');
    if (escape[0] === 'u') {
      if (escape.length < 5) {
        s.escape = escape;
        return i + 1;
      }
      if (!/^u[0-9a-fA-F]{4}$/.test(escape)) throw notJson();
      s.escape = undefined;
      this.emit(s, String.fromCharCode(parseInt(escape.slice(1), 16)));
      return i + 1;
    }
    const plain = ESCAPES[escape];
    if (plain === undefined) throw notJson();
    s.escape = undefined;
    this.emit(s, plain);
    return i + 1;
  }

  private emit(s: NonNullable<JsonStream['str']>, piece: string): void {
    if (s.sink !== undefined) s.sink.push(piece);
    else s.pieces.push(piece);
  }

  private endBare(): void {
    const token = this.bare;
    this.bare = '';
    if (token === 'true') this.complete(true);
    else if (token === 'false') this.complete(false);
    else if (token === 'null') this.complete(null);
    else if (NUMBER.test(token)) this.complete(Number(token));
    else throw notJson();
  }

  /** A value may start here (and nothing else is half-read). */
  private expectValue(): void {
    if (this.bare !== '') return;
    const top = this.stack[this.stack.length - 1];
    if (top === undefined ? this.root !== undefined : top.expect !== 'value') throw notJson();
  }

  private childPath(): string[] {
    const top = this.stack[this.stack.length - 1];
    if (top === undefined) return [];
    return [...top.path, top.kind === 'object' ? (top.key ?? '') : String(top.value.length)];
  }

  private complete(value: unknown): void {
    const top = this.stack[this.stack.length - 1];
    if (top === undefined) {
      if (this.root !== undefined) throw notJson();
      this.root = { value };
    } else if (top.kind === 'array') {
      top.value.push(value);
      top.expect = 'comma';
    } else {
      // An own property even for odd keys, never a setter: no prototype is touched.
      Object.defineProperty(top.value, top.key ?? '', { value, enumerable: true, writable: true, configurable: true });
      top.expect = 'comma';
    }
  }
}

function samePath(a: string[], b: string[]): boolean {
  return a.length === b.length && a.every((p, i) => p === b[i]);
}
