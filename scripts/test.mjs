#!/usr/bin/env node
/**
 * Runs the suite: every test on SQLite, and the database tests again on
 * PostgreSQL when a server answers at CONNEXA_TEST_POSTGRES_URL (default
 * postgres://postgres@127.0.0.1:5432/postgres). When it does not, the
 * PostgreSQL half is skipped and the last lines say so and why; with
 * CONNEXA_TEST_REQUIRE_POSTGRES=1 (CI) that is a failure. The same for the
 * dashboard's browser tests and Chromium (CONNEXA_TEST_REQUIRE_BROWSER=1).
 * Extra arguments go to vitest.
 */
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import pg from 'pg';

const url = process.env.CONNEXA_TEST_POSTGRES_URL ?? 'postgres://postgres@127.0.0.1:5432/postgres';
const shown = url.replace(/\/\/[^@/]*@/, '//…@');

async function postgresAnswers() {
  const client = new pg.Client({ connectionString: url, connectionTimeoutMillis: 3000 });
  try {
    await client.connect();
    await client.query('select 1');
    return undefined;
  } catch (err) {
    return err instanceof Error ? err.message : String(err);
  } finally {
    await client.end().catch(() => undefined);
  }
}

const problem = await postgresAnswers();
// The dashboard's tests drive Debian's Chromium (apt-get install chromium).
const chromium = process.env.CONNEXA_TEST_CHROMIUM ?? '/usr/bin/chromium';
const browser = fs.existsSync(chromium);
const env = {
  ...process.env,
  CONNEXA_TEST_POSTGRES: problem === undefined ? '1' : '0',
  CONNEXA_TEST_POSTGRES_URL: url,
  CONNEXA_TEST_BROWSER: browser ? '1' : '0',
  CONNEXA_TEST_CHROMIUM: chromium,
};
const run = spawnSync(process.execPath, ['node_modules/vitest/vitest.mjs', 'run', ...process.argv.slice(2)], { stdio: 'inherit', env });
const status = run.status ?? 1;

if (problem === undefined) {
  console.log(`\nDatabases: SQLite and PostgreSQL (${shown}).`);
} else {
  console.log(`\nDatabases: SQLite only. The PostgreSQL half was SKIPPED: nothing answered at ${shown} (${problem}).`);
  console.log('Start PostgreSQL, or set CONNEXA_TEST_POSTGRES_URL, to run it.');
  if (process.env.CONNEXA_TEST_REQUIRE_POSTGRES === '1') {
    console.log('CONNEXA_TEST_REQUIRE_POSTGRES=1: a skipped PostgreSQL half fails the run.');
    process.exit(1);
  }
}
if (browser) {
  console.log(`Browser: Chromium at ${chromium} (screenshots in test-artifacts/).`);
} else {
  console.log(`Browser: the dashboard's tests were SKIPPED: no Chromium at ${chromium} (apt-get install chromium, or set CONNEXA_TEST_CHROMIUM).`);
  if (process.env.CONNEXA_TEST_REQUIRE_BROWSER === '1') {
    console.log('CONNEXA_TEST_REQUIRE_BROWSER=1: skipped browser tests fail the run.');
    process.exit(1);
  }
}
process.exit(status);
