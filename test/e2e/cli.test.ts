/** The `connexa` command, run as users run it: the built bin on a database URL. */
import { execFile } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { hashToken } from '../../src/domain/tokens.js';
import { openStore } from '../../src/store/database.js';
import { ADMIN_TOKEN, tempDir } from '../helpers/gateway.js';
import { testDatabase, type TestDatabase } from '../helpers/test-db.js';

const run = promisify(execFile);
const CLI = path.resolve('dist/cli/main.js');
const dir = tempDir('connexa-cli-');
let database: TestDatabase;
let env: Record<string, string>;

beforeAll(async () => {
  database = await testDatabase(dir, 'cli.db');
  // On PostgreSQL the CLI, like the gateway, takes the shared secrets from the environment.
  env = { PATH: process.env['PATH'] ?? '', CONNEXA_ADMIN_TOKEN: ADMIN_TOKEN, ...database.env };
});
afterAll(async () => {
  await database.drop();
  fs.rmSync(dir, { recursive: true, force: true });
});

/** Runs the CLI expecting a failure; resolves to its exit code and stderr. */
async function fails(args: string[]): Promise<{ code: number; stderr: string }> {
  try {
    await run(process.execPath, [CLI, ...args], { env });
  } catch (e) {
    const err = e as { code: number; stderr: string };
    return { code: err.code, stderr: err.stderr };
  }
  throw new Error(`expected connexa ${args.join(' ')} to fail`);
}

describe('connexa CLI', () => {
  it('creates a user and a sandbox instance, printing the token once and storing only its hash', async () => {
    const user = JSON.parse((await run(process.execPath, [CLI, 'user', 'create', '--name', 'Acme', '--json'], { env })).stdout) as Record<string, string>;
    expect(user['user_id']).toMatch(/^[0-9a-f-]{36}$/);
    const created = JSON.parse(
      (await run(process.execPath, [CLI, 'instance', 'create', '--user', user['user_id'] ?? '', '--engine', 'sandbox', '--json'], { env })).stdout,
    ) as Record<string, string>;
    expect(created).toMatchObject({ user_id: user['user_id'], engine: 'sandbox' });
    expect(created['instance_token']).toMatch(/^cnx_/);

    const store = openStore(database.config);
    const row = await store.db
      .selectFrom('instances')
      .selectAll()
      .where('id', '=', created['instance_id'] ?? '')
      .executeTakeFirstOrThrow();
    await store.close();
    expect(row.token_hash).toBe(hashToken(created['instance_token'] ?? ''));
    expect(JSON.stringify(row)).not.toContain(created['instance_token']);
  });

  it('creates a cloud instance from a config file, its secrets sealed', async () => {
    const user = JSON.parse((await run(process.execPath, [CLI, 'user', 'create', '--name', 'Cloud', '--json'], { env })).stdout) as Record<string, string>;
    const token = `EAAG${'7'.repeat(40)}`;
    const file = path.join(dir, 'cloud.json');
    fs.writeFileSync(
      file,
      JSON.stringify({ phone_number_id: '100000000000001', access_token: token, app_secret: 'app-secret-123', verify_token: 'verify-123' }),
    );
    const args = ['instance', 'create', '--user', user['user_id'] ?? '', '--engine', 'cloud', '--json'];
    const created = JSON.parse((await run(process.execPath, [CLI, ...args, '--config', `@${file}`], { env })).stdout) as Record<string, string>;
    expect(created).toMatchObject({ engine: 'cloud' });
    const store = openStore(database.config);
    const rows = await store.sql.all<{ phone_number_id: string; access_token: Buffer }>(
      `SELECT phone_number_id, access_token FROM cloud_accounts WHERE instance_id = ?`,
      [created['instance_id'] ?? ''],
    );
    await store.close();
    expect(rows.map((r) => r.phone_number_id)).toEqual(['100000000000001']);
    expect(Buffer.from(rows[0]?.access_token ?? []).toString('latin1')).not.toContain(token);
    // Without its config a cloud instance is refused, naming what is missing.
    expect((await fails(args)).stderr).toMatch(/config_required/);
    expect((await fails([...args, '--config', '{not json'])).code).toBe(2);
  });

  it('fails clearly on an unknown engine or user, and on bad usage', async () => {
    const bad = await fails(['instance', 'create', '--user', '00000000-0000-4000-8000-000000000000', '--engine', 'telegram']);
    expect(bad.code).toBe(1);
    expect(bad.stderr).toMatch(/unknown_engine/);
    const noUser = await fails(['instance', 'create', '--user', '00000000-0000-4000-8000-000000000000', '--engine', 'sandbox']);
    expect(noUser.stderr).toMatch(/user_not_found/);
    const usage = await fails(['frobnicate']);
    expect(usage.code).toBe(2);
    expect(usage.stderr).toMatch(/Usage:/);
  });
});
