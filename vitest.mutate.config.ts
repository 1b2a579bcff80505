/**
 * The suite as `npm run mutate` runs it under StrykerJS: every test that runs
 * the source in this process. Tests that start the built server (dist/) in a
 * process of their own cannot see a mutant, so they are left out.
 */
import { defineConfig } from 'vitest/config';
import { DATABASE_TESTS, shared } from './vitest.config.js';

const OTHER_PROCESS = ['test/e2e/crash.test.ts', 'test/e2e/accept-commit.test.ts', 'test/e2e/slow-commit.test.ts', 'test/e2e/cli.test.ts'];

// One project, on SQLite (the PostgreSQL half of `npm test` would test the same mutants again), except
// for code that runs only on PostgreSQL (scripts/mutate.mjs sets CONNEXA_TEST_DIALECT for it): then the
// tests that touch a database, and the one cluster test whose nodes run in this process.
const onPostgres = process.env['CONNEXA_TEST_DIALECT'] === 'postgres';

export default defineConfig({
  test: {
    ...shared,
    include: onPostgres ? [...DATABASE_TESTS, 'test/cluster/lease-fence.test.ts'] : ['test/**/*.test.ts'],
    // Stryker runs the tests in worker threads, which take no V8 flags: its test
    // runner process gets --expose-gc instead (stryker.config.mjs).
    execArgv: [],
    exclude: ['node_modules/**', ...OTHER_PROCESS],
  },
});
