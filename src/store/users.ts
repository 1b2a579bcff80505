import type { Db } from './database.js';

export async function insertUser(db: Db, user: { id: string; name: string; createdAt: number }): Promise<void> {
  await db.insertInto('users').values({ id: user.id, name: user.name, created_at: user.createdAt }).execute();
}

export async function userExists(db: Db, id: string): Promise<boolean> {
  const row = await db.selectFrom('users').select('id').where('id', '=', id).executeTakeFirst();
  return row !== undefined;
}

export async function countUsers(db: Db): Promise<number> {
  const row = await db
    .selectFrom('users')
    .select((eb) => eb.fn.countAll<number>().as('n'))
    .executeTakeFirstOrThrow();
  return Number(row.n);
}
