/**
 * The rows of a Baileys session: its creds and its Signal keys, each sealed
 * by the engine before it gets here (this module never sees a secret in the
 * clear). Every write is durable: a lost key breaks delivery for the contacts
 * it concerns.
 */
import type { Store } from './database.js';

export interface SealedKey {
  type: string;
  id: string;
  /** Sealed value, or null to delete the key. */
  sealed: Buffer | null;
}

export class WhatsAppAuthStatements {
  constructor(private readonly store: Store) {}

  /** The sealed creds of an instance, or undefined before its first link. */
  async creds(instanceId: string): Promise<Buffer | undefined> {
    return (await this.store.db.selectFrom('wa_creds').select('sealed').where('instance_id', '=', instanceId).executeTakeFirst())?.sealed;
  }

  async saveCreds(instanceId: string, sealed: Buffer, at: number): Promise<void> {
    await this.store.writeTx(true, ({ db }) =>
      db
        .insertInto('wa_creds')
        .values({ instance_id: instanceId, sealed, updated_at: at })
        .onConflict((oc) => oc.column('instance_id').doUpdateSet((eb) => ({ sealed: eb.ref('excluded.sealed'), updated_at: eb.ref('excluded.updated_at') })))
        .execute(),
    );
  }

  /** The sealed keys of one type among `ids` that exist. */
  async keys(instanceId: string, type: string, ids: readonly string[]): Promise<Map<string, Buffer>> {
    if (ids.length === 0) return new Map();
    const rows = await this.store.db
      .selectFrom('wa_keys')
      .select(['id', 'sealed'])
      .where('instance_id', '=', instanceId)
      .where('type', '=', type)
      .where('id', 'in', [...ids])
      .execute();
    return new Map(rows.map((r) => [r.id, r.sealed]));
  }

  /** Writes and deletes keys, all in one durable transaction. */
  async saveKeys(instanceId: string, keys: readonly SealedKey[]): Promise<void> {
    await this.store.writeTx(true, async ({ db }) => {
      for (const k of keys) {
        if (k.sealed === null) {
          await db.deleteFrom('wa_keys').where('instance_id', '=', instanceId).where('type', '=', k.type).where('id', '=', k.id).execute();
        } else {
          await db
            .insertInto('wa_keys')
            .values({ instance_id: instanceId, type: k.type, id: k.id, sealed: k.sealed })
            .onConflict((oc) => oc.columns(['instance_id', 'type', 'id']).doUpdateSet((eb) => ({ sealed: eb.ref('excluded.sealed') })))
            .execute();
        }
      }
    });
  }

  async clearKeys(instanceId: string): Promise<void> {
    await this.store.writeTx(true, ({ db }) => db.deleteFrom('wa_keys').where('instance_id', '=', instanceId).execute());
  }

  /** Forgets a session entirely (logged out, or the instance deleted). */
  async wipe(instanceId: string): Promise<void> {
    await this.store.writeTx(true, async ({ db }) => {
      await db.deleteFrom('wa_keys').where('instance_id', '=', instanceId).execute();
      await db.deleteFrom('wa_creds').where('instance_id', '=', instanceId).execute();
    });
  }
}
