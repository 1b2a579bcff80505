/**
 * A Baileys auth state kept in the Connexa database instead of files: the
 * creds row and one row per signal key, each sealed with AES-256-GCM and bound
 * to its instance, type and id. Mirrors Baileys' useMultiFileAuthState:
 * values are JSON with BufferJSON, app-state-sync keys are revived as protos,
 * `null` deletes. Every `set` is one durable transaction, since a lost key
 * write breaks delivery for the contacts it concerns. The rows themselves
 * are the store's (store/whatsapp-auth.ts); sealing and Baileys' shapes here.
 */
import { BufferJSON, initAuthCreds, proto } from 'baileys';
import type { AuthenticationCreds, AuthenticationState, SignalDataSet, SignalDataTypeMap } from 'baileys';
import type { Sealer } from '../../crypto/sealer.js';
import type { SealedKey, WhatsAppAuthStatements } from '../../store/whatsapp-auth.js';

export interface DatabaseAuthState {
  state: AuthenticationState;
  /** Persist the creds; call on every `creds.update`. */
  saveCreds(): Promise<void>;
}

type KeyType = keyof SignalDataTypeMap;

export class AuthStore {
  constructor(
    private readonly rows: WhatsAppAuthStatements,
    private readonly sealer: Sealer,
    private readonly now: () => number = Date.now,
  ) {}

  /** The instance's auth state: stored creds, or fresh ones for a new link. */
  async load(instanceId: string): Promise<DatabaseAuthState> {
    const sealed = await this.rows.creds(instanceId);
    const creds: AuthenticationCreds =
      sealed === undefined
        ? initAuthCreds()
        : (JSON.parse(this.sealer.open(sealed, `${instanceId}/creds`).toString('utf8'), BufferJSON.reviver) as AuthenticationCreds);
    const keys = {
      get: async <T extends KeyType>(type: T, ids: string[]): Promise<{ [id: string]: SignalDataTypeMap[T] }> => {
        const out: { [id: string]: SignalDataTypeMap[T] } = {};
        for (const [id, value] of await this.rows.keys(instanceId, type, ids)) out[id] = this.open(instanceId, type, id, value) as SignalDataTypeMap[T];
        return out;
      },
      set: async (data: SignalDataSet): Promise<void> => {
        const changes: SealedKey[] = [];
        for (const type of Object.keys(data) as KeyType[]) {
          for (const [id, value] of Object.entries(data[type] ?? {})) {
            changes.push({ type, id, sealed: value === null || value === undefined ? null : this.seal(instanceId, type, id, value) });
          }
        }
        await this.rows.saveKeys(instanceId, changes);
      },
      clear: (): Promise<void> => this.rows.clearKeys(instanceId),
    };
    const saveCreds = (): Promise<void> =>
      this.rows.saveCreds(instanceId, this.sealer.seal(JSON.stringify(creds, BufferJSON.replacer), `${instanceId}/creds`), this.now());
    return { state: { creds, keys }, saveCreds };
  }

  /** Forget a session entirely (logged out, or the instance deleted). */
  wipe(instanceId: string): Promise<void> {
    return this.rows.wipe(instanceId);
  }

  private open(instanceId: string, type: KeyType, id: string, sealed: Buffer): unknown {
    const value: unknown = JSON.parse(this.sealer.open(sealed, `${instanceId}/${type}/${id}`).toString('utf8'), BufferJSON.reviver);
    // Baileys expects app-state sync keys as protobuf objects, as its file store does.
    return type === 'app-state-sync-key' && value !== null && typeof value === 'object' ? proto.Message.AppStateSyncKeyData.fromObject(value) : value;
  }

  private seal(instanceId: string, type: string, id: string, value: unknown): Buffer {
    return this.sealer.seal(JSON.stringify(value, BufferJSON.replacer), `${instanceId}/${type}/${id}`);
  }
}
