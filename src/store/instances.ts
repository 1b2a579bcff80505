import type { Db } from './database.js';
import type { InstanceRow } from './schema.js';

export interface NewInstance {
  id: string;
  userId: string;
  name: string;
  engine: string;
  tokenHash: string;
  createdAt: number;
  config: string | null;
}

export async function insertInstance(db: Db, i: NewInstance): Promise<void> {
  await db
    .insertInto('instances')
    .values({ id: i.id, user_id: i.userId, name: i.name, engine: i.engine, token_hash: i.tokenHash, created_at: i.createdAt, config: i.config })
    .execute();
}

export async function findInstanceByTokenHash(db: Db, tokenHash: string): Promise<InstanceRow | undefined> {
  return db.selectFrom('instances').selectAll().where('token_hash', '=', tokenHash).executeTakeFirst();
}

export async function getInstance(db: Db, id: string): Promise<InstanceRow | undefined> {
  return db.selectFrom('instances').selectAll().where('id', '=', id).executeTakeFirst();
}

/** Deletes an instance; its session keys, creds and inbound messages go with it (foreign keys). */
export async function deleteInstance(db: Db, id: string): Promise<boolean> {
  const result = await db.deleteFrom('instances').where('id', '=', id).executeTakeFirst();
  return Number(result.numDeletedRows) === 1;
}

export async function countInstances(db: Db): Promise<number> {
  const row = await db
    .selectFrom('instances')
    .select((eb) => eb.fn.countAll<number>().as('n'))
    .executeTakeFirst();
  return Number(row?.n ?? 0);
}
