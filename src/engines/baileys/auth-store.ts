/**
 * A Baileys auth state kept in the Connexa database instead of files: the
 * creds row and one row per signal key, each sealed with AES-256-GCM and bound
 * to its instance, type and id. Mirrors Baileys' useMultiFileAuthState:
 * values are JSON with BufferJSON, app-state-sync keys are revived as protos,
 * `null` deletes. Every `set` is one durable transaction, since a lost key
 * write breaks delivery for the contacts it concerns.
 */
import { BufferJSON, initAuthCreds, proto } from 'baileys';
import type { AuthenticationCreds, AuthenticationState, SignalDataSet, SignalDataTypeMap } from 'baileys';
import type { Sealer } from '../../crypto/sealer.js';
import type { Store } from '../../store/database.js';

export interface DatabaseAuthState {
  state: AuthenticationState;
  /** Persist the creds; call on every `creds.update`. */
  saveCreds(): Promise<void>;
}

type KeyType = keyof SignalDataTypeMap;

export class AuthStore {
  private readonly readCreds;
  private readonly writeCreds;
  private readonly readKey;
  private readonly writeKey;
  private readonly deleteKey;
  private readonly deleteAll;
  private readonly deleteCreds;

  constructor(
    private readonly store: Store,
    private readonly sealer: Sealer,
    private readonly now: () => number = Date.now,
  ) {
    const s = store.sqlite;
    this.readCreds = s.prepare<[string], { sealed: Buffer }>(`SELECT sealed FROM wa_creds WHERE instance_id = ?`);
    this.writeCreds = s.prepare(
      `INSERT INTO wa_creds (instance_id, sealed, updated_at) VALUES (?, ?, ?)
       ON CONFLICT (instance_id) DO UPDATE SET sealed = excluded.sealed, updated_at = excluded.updated_at`,
    );
    this.readKey = s.prepare<[string, string, string], { sealed: Buffer }>(`SELECT sealed FROM wa_keys WHERE instance_id = ? AND type = ? AND id = ?`);
    this.writeKey = s.prepare(
      `INSERT INTO wa_keys (instance_id, type, id, sealed) VALUES (?, ?, ?, ?)
       ON CONFLICT (instance_id, type, id) DO UPDATE SET sealed = excluded.sealed`,
    );
    this.deleteKey = s.prepare(`DELETE FROM wa_keys WHERE instance_id = ? AND type = ? AND id = ?`);
    this.deleteAll = s.prepare(`DELETE FROM wa_keys WHERE instance_id = ?`);
    this.deleteCreds = s.prepare(`DELETE FROM wa_creds WHERE instance_id = ?`);
  }

  /** The instance's auth state: stored creds, or fresh ones for a new link. */
  load(instanceId: string): DatabaseAuthState {
    const row = this.readCreds.get(instanceId);
    const creds: AuthenticationCreds = row === undefined
      ? initAuthCreds()
      : (JSON.parse(this.sealer.open(row.sealed, `${instanceId}/creds`).toString('utf8'), BufferJSON.reviver) as AuthenticationCreds);
    const keys = {
      get: async <T extends KeyType>(type: T, ids: string[]): Promise<{ [id: string]: SignalDataTypeMap[T] }> => {
        const out: { [id: string]: SignalDataTypeMap[T] } = {};
        for (const id of ids) {
          const value = this.getKey(instanceId, type, id);
          if (value !== undefined) out[id] = value as SignalDataTypeMap[T];
        }
        return out;
      },
      set: async (data: SignalDataSet): Promise<void> => {
        await this.store.writeTx(true, () => {
          for (const type of Object.keys(data) as KeyType[]) {
            for (const [id, value] of Object.entries(data[type] ?? {})) {
              if (value === null || value === undefined) this.deleteKey.run(instanceId, type, id);
              else this.writeKey.run(instanceId, type, id, this.seal(instanceId, type, id, value));
            }
          }
        });
      },
      clear: async (): Promise<void> => {
        await this.store.writeTx(true, () => this.deleteAll.run(instanceId));
      },
    };
    const saveCreds = async (): Promise<void> => {
      const sealed = this.sealer.seal(JSON.stringify(creds, BufferJSON.replacer), `${instanceId}/creds`);
      await this.store.writeTx(true, () => this.writeCreds.run(instanceId, sealed, this.now()));
    };
    return { state: { creds, keys }, saveCreds };
  }

  /** Forget a session entirely (logged out, or the instance deleted). */
  wipe(instanceId: string): Promise<void> {
    return this.store.writeTx(true, () => {
      this.deleteAll.run(instanceId);
      this.deleteCreds.run(instanceId);
    });
  }

  private getKey(instanceId: string, type: KeyType, id: string): unknown {
    const row = this.readKey.get(instanceId, type, id);
    if (row === undefined) return undefined;
    const value: unknown = JSON.parse(this.sealer.open(row.sealed, `${instanceId}/${type}/${id}`).toString('utf8'), BufferJSON.reviver);
    // Baileys expects app-state sync keys as protobuf objects, as its file store does.
    return type === 'app-state-sync-key' && value !== null && typeof value === 'object'
      ? proto.Message.AppStateSyncKeyData.fromObject(value)
      : value;
  }

  private seal(instanceId: string, type: string, id: string, value: unknown): Buffer {
    return this.sealer.seal(JSON.stringify(value, BufferJSON.replacer), `${instanceId}/${type}/${id}`);
  }
}
