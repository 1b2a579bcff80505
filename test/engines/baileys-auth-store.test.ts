/**
 * Baileys' auth state in the database: real Baileys creds and key shapes,
 * a real SQLite file reopened as after a restart, ciphertext only at rest.
 */
import { randomBytes } from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { BufferJSON, proto } from 'baileys';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { AdminService } from '../../src/admin/service.js';
import { Sealer } from '../../src/crypto/sealer.js';
import { AuthStore } from '../../src/engines/baileys/auth-store.js';
import { openStore, type Store } from '../../src/store/database.js';
import { migrate } from '../../src/store/migrate.js';
import { tempDir } from '../helpers/gateway.js';
import { WhatsAppAuthStatements } from '../../src/store/whatsapp-auth.js';

let dir: string;
let file: string;
let store: Store;
const key = randomBytes(32);
let a: string;
let b: string;

const asJson = (v: unknown) => JSON.stringify(v, BufferJSON.replacer);

beforeEach(async () => {
  dir = tempDir('connexa-auth-');
  file = path.join(dir, 'db.sqlite');
  store = openStore({ dialect: 'sqlite', file });
  expect((await migrate(store)).ok).toBe(true);
  const admin = new AdminService(store.db, ['sandbox']);
  const user = await admin.createUser('u');
  a = (await admin.createInstance(user.user_id, 'a', 'sandbox')).instance_id;
  b = (await admin.createInstance(user.user_id, 'b', 'sandbox')).instance_id;
});

afterEach(async () => {
  await store.close();
  fs.rmSync(dir, { recursive: true, force: true });
});

async function reopen(): Promise<AuthStore> {
  await store.close();
  store = openStore({ dialect: 'sqlite', file });
  return new AuthStore(new WhatsAppAuthStatements(store), new Sealer(key));
}

describe('Baileys auth state in the database', () => {
  it('creds and keys survive a restart, byte for byte', async () => {
    const first = await new AuthStore(new WhatsAppAuthStatements(store), new Sealer(key)).load(a);
    expect(first.state.creds.noiseKey.private).toBeInstanceOf(Uint8Array);
    first.state.creds.me = { id: '5544999999999:1@s.whatsapp.net', name: 'Shop' };
    await first.saveCreds();
    const preKey = { private: randomBytes(32), public: randomBytes(32) };
    const session = new Uint8Array(randomBytes(64));
    await first.state.keys.set({
      'pre-key': { '1': preKey },
      session: { '5544999999999.0': session },
      'app-state-sync-key': { AAAA: { keyData: new Uint8Array(randomBytes(32)), timestamp: 1700000000 } },
      'lid-mapping': { '5544999999999': '123456789@lid' },
    });

    const again = await (await reopen()).load(a);
    expect(asJson(again.state.creds)).toBe(asJson(first.state.creds));
    const keys = again.state.keys;
    expect(asJson((await keys.get('pre-key', ['1']))['1'])).toBe(asJson(preKey));
    expect(Buffer.from((await keys.get('session', ['5544999999999.0']))['5544999999999.0'] ?? []).equals(Buffer.from(session))).toBe(true);
    const sync = (await keys.get('app-state-sync-key', ['AAAA']))['AAAA'];
    expect(sync).toBeInstanceOf(proto.Message.AppStateSyncKeyData);
    expect(await keys.get('lid-mapping', ['5544999999999', 'missing'])).toEqual({ '5544999999999': '123456789@lid' });
  });

  it('null deletes; instances do not see each other; wipe forgets a session', async () => {
    const auth = new AuthStore(new WhatsAppAuthStatements(store), new Sealer(key));
    const sa = await auth.load(a);
    const sb = await auth.load(b);
    await sa.state.keys.set({
      'pre-key': { '1': { private: randomBytes(32), public: randomBytes(32) }, '2': { private: randomBytes(32), public: randomBytes(32) } },
    });
    await sa.state.keys.set({ 'pre-key': { '1': null } });
    expect(Object.keys(await sa.state.keys.get('pre-key', ['1', '2']))).toEqual(['2']);
    expect(await sb.state.keys.get('pre-key', ['1', '2'])).toEqual({});
    await sa.saveCreds();
    await auth.wipe(a);
    expect(await store.db.selectFrom('wa_keys').selectAll().where('instance_id', '=', a).execute()).toEqual([]);
    expect(await store.db.selectFrom('wa_creds').selectAll().where('instance_id', '=', a).execute()).toEqual([]);
  });

  it("clear (Baileys' keys.clear) drops this session's keys, keeps its creds, and leaves other instances alone", async () => {
    const auth = new AuthStore(new WhatsAppAuthStatements(store), new Sealer(key));
    const [sa, sb] = [await auth.load(a), await auth.load(b)];
    for (const s of [sa, sb]) {
      await s.saveCreds();
      await s.state.keys.set({ 'pre-key': { '1': { private: randomBytes(32), public: randomBytes(32) } } });
    }
    await sa.state.keys.clear?.();
    expect(await sa.state.keys.get('pre-key', ['1'])).toEqual({});
    expect(Object.keys(await sb.state.keys.get('pre-key', ['1']))).toEqual(['1']);
    expect((await store.db.selectFrom('wa_creds').select('instance_id').execute()).map((r) => r.instance_id).sort()).toEqual([a, b].sort());
  });

  it('holds only ciphertext, and refuses to open with another key', async () => {
    const s = await new AuthStore(new WhatsAppAuthStatements(store), new Sealer(key)).load(a);
    await s.saveCreds();
    await s.state.keys.set({ 'lid-mapping': { '5544999999999': '123456789@lid' } });
    const rows = [...(await store.db.selectFrom('wa_creds').select('sealed').execute()), ...(await store.db.selectFrom('wa_keys').select('sealed').execute())];
    expect(rows.length).toBe(2);
    const noise = Buffer.from(s.state.creds.noiseKey.private).toString('base64');
    for (const { sealed } of rows) {
      const text = sealed.toString('latin1');
      expect(text).not.toContain('noiseKey');
      expect(text).not.toContain(noise);
      expect(text).not.toContain('123456789@lid');
    }
    await store.close();
    store = openStore({ dialect: 'sqlite', file });
    await expect(new AuthStore(new WhatsAppAuthStatements(store), new Sealer(randomBytes(32))).load(a)).rejects.toThrow(/could not be decrypted/);
  });
});
