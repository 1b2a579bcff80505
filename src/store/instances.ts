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
export async function deleteInstance(db: Db, id: string): Promise<void> {
  await db.deleteFrom('instances').where('id', '=', id).execute();
}

export async function countInstances(db: Db): Promise<number> {
  const row = await db
    .selectFrom('instances')
    .select((eb) => eb.fn.countAll<number>().as('n'))
    .executeTakeFirst();
  return Number(row?.n ?? 0);
}

export interface ListedInstance {
  id: string;
  user_id: string;
  user_name: string;
  name: string;
  engine: string;
  state: string;
  phone: string | null;
  created_at: number;
}

/** Instances newest first (then by id), after the cursor `[created_at, id]` when given; optionally one user's. */
export async function listInstances(db: Db, o: { userId?: string; after?: [number, string]; limit: number }): Promise<ListedInstance[]> {
  let q = db
    .selectFrom('instances as i')
    .innerJoin('users as u', 'u.id', 'i.user_id')
    .select(['i.id', 'i.user_id', 'u.name as user_name', 'i.name', 'i.engine', 'i.state', 'i.phone', 'i.created_at'])
    .orderBy('i.created_at', 'desc')
    .orderBy('i.id', 'desc')
    .limit(o.limit);
  if (o.userId !== undefined) q = q.where('i.user_id', '=', o.userId);
  const after = o.after;
  if (after !== undefined) {
    q = q.where((eb) => eb.or([eb('i.created_at', '<', after[0]), eb.and([eb('i.created_at', '=', after[0]), eb('i.id', '<', after[1])])]));
  }
  const rows = await q.execute();
  return rows.map((r) => ({ ...r, created_at: Number(r.created_at) }));
}

/** Replaces an instance's token hash; false when there is no such instance. */
export async function replaceTokenHash(db: Db, id: string, tokenHash: string): Promise<boolean> {
  const result = await db.updateTable('instances').set({ token_hash: tokenHash }).where('id', '=', id).executeTakeFirst();
  return Number(result.numUpdatedRows) === 1;
}
