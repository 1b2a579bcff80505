/**
 * WhatsApp's media servers (mmg.whatsapp.net), for tests: files encrypted the
 * way WhatsApp stores them (Baileys' own encryptedStream), served at their
 * direct paths through an undici MockAgent installed as the global dispatcher
 * (Node's fetch, which Baileys downloads with, goes through it). Connections
 * to 127.0.0.1 pass through untouched, so the gateway and the test's own
 * requests are real. `close` restores the dispatcher.
 */
import fs from 'node:fs';
import { encryptedStream, type MediaType } from 'baileys';
import { getGlobalDispatcher, MockAgent, setGlobalDispatcher, type Dispatcher } from 'undici';

export interface StoredMedia {
  mediaKey: Buffer;
  fileEncSha256: Buffer;
  fileSha256: Buffer;
  fileLength: number;
  encrypted: Buffer;
}

export class FakeMediaHost {
  /** Encrypted files by direct path; a path not here answers 404 (expired). */
  readonly files = new Map<string, Buffer>();
  /** Paths asked for, in order. */
  readonly hits: string[] = [];
  private readonly agent = new MockAgent();
  private readonly before: Dispatcher = getGlobalDispatcher();

  constructor() {
    this.agent.enableNetConnect(/^127\.0\.0\.1(:\d+)?$/);
    this.agent
      .get('https://mmg.whatsapp.net')
      .intercept({ path: () => true, method: 'GET' })
      .reply((req) => {
        this.hits.push(req.path);
        const file = this.files.get(req.path);
        return file === undefined ? { statusCode: 404, data: 'gone' } : { statusCode: 200, data: file };
      })
      .persist();
    setGlobalDispatcher(this.agent);
  }

  /** Encrypts `bytes` as a WhatsApp media file of `type` with a fresh media key. */
  async encrypt(bytes: Buffer, type: MediaType): Promise<StoredMedia> {
    const out = await encryptedStream(bytes, type);
    try {
      return {
        mediaKey: out.mediaKey,
        fileEncSha256: out.fileEncSha256,
        fileSha256: out.fileSha256,
        fileLength: out.fileLength,
        encrypted: fs.readFileSync(out.encFilePath),
      };
    } finally {
      fs.rmSync(out.encFilePath, { force: true });
    }
  }

  async close(): Promise<void> {
    setGlobalDispatcher(this.before);
    await this.agent.close();
  }
}
