/**
 * The WhatsApp Web version: Baileys' own fetchLatestWaWebVersion runs for real,
 * its request answered by an undici MockAgent standing in for web.whatsapp.com
 * (the only part of this we cannot reach from a test).
 */
import { fetchLatestWaWebVersion } from 'baileys';
import pino from 'pino';
import { getGlobalDispatcher, MockAgent, setGlobalDispatcher } from 'undici';
import { afterEach, describe, expect, it } from 'vitest';
import { WhatsAppVersion, type FetchLatest } from '../../src/engines/baileys/wa-version.js';

const logger = pino({ level: 'silent' });
let agent: MockAgent;
const before = getGlobalDispatcher();

afterEach(async () => {
  setGlobalDispatcher(before);
  await agent.close();
});

/** Baileys' fetch of sw.js, answered by `answer`; counts the requests. */
function whatsappWeb(answer: (pool: ReturnType<MockAgent['get']>) => void): { fetchLatest: FetchLatest; calls: () => number } {
  agent = new MockAgent();
  agent.disableNetConnect();
  answer(agent.get('https://web.whatsapp.com'));
  // Node's global fetch (what Baileys calls) goes through undici's global dispatcher.
  setGlobalDispatcher(agent);
  let calls = 0;
  return {
    fetchLatest: (options) => {
      calls++;
      return fetchLatestWaWebVersion(options);
    },
    calls: () => calls,
  };
}

describe('WhatsAppVersion', () => {
  it('latest: the first socket starts the fetch (bundled meanwhile); later sockets present the version WhatsApp Web serves', async () => {
    const web = whatsappWeb((pool) =>
      pool.intercept({ path: '/sw.js', method: 'GET' }).reply(200, 'self.__swData=JSON.parse("{\\"client_revision\\":1029999999,\\"x\\":1}")'),
    );
    const v = new WhatsAppVersion('latest', logger, web.fetchLatest);
    expect(v.current()).toBeUndefined();
    await v.settled();
    expect(v.current()).toEqual([2, 3000, 1029999999]);
    expect(v.current()).toEqual([2, 3000, 1029999999]);
    expect(web.calls()).toBe(1);
  });

  it("latest, but WhatsApp Web cannot be reached: Baileys' bundled version, asked only once", async () => {
    const web = whatsappWeb((pool) => pool.intercept({ path: '/sw.js', method: 'GET' }).replyWithError(new Error('getaddrinfo ENOTFOUND web.whatsapp.com')));
    const v = new WhatsAppVersion('latest', logger, web.fetchLatest);
    v.current();
    await v.settled();
    expect(v.current()).toBeUndefined();
    expect(web.calls()).toBe(1);
  });

  it('bundled or a fixed version: WhatsApp Web is never asked', async () => {
    const web = whatsappWeb(() => {});
    const bundled = new WhatsAppVersion('bundled', logger, web.fetchLatest);
    const fixed = new WhatsAppVersion([2, 3000, 1234567], logger, web.fetchLatest);
    expect(bundled.current()).toBeUndefined();
    expect(fixed.current()).toEqual([2, 3000, 1234567]);
    await Promise.all([bundled.settled(), fixed.settled()]);
    expect(web.calls()).toBe(0);
  });
});
