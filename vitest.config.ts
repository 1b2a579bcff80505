import { configDefaults, defineConfig } from 'vitest/config';

/**
 * Projects: every test on SQLite, and the tests that touch a database
 * again on PostgreSQL (CONNEXA_TEST_DIALECT=postgres; see
 * test/helpers/test-db.ts); then, alone and one file at a time, the cluster
 * tests (several nodes on one PostgreSQL, each a process: their lease
 * heartbeats must not starve behind other tests). The dashboard's tests run
 * in Chromium (project `browser`, CONNEXA_TEST_BROWSER=1). scripts/test.mjs
 * turns the PostgreSQL projects on when PostgreSQL answers
 * (CONNEXA_TEST_POSTGRES=1) and the browser project when Chromium is there,
 * and says so when either is not.
 */
export const DATABASE_TESTS = [
  'test/store/**/*.test.ts',
  'test/dispatch/**/*.test.ts',
  'test/webhooks/**/*.test.ts',
  'test/e2e/**/*.test.ts',
  'test/engines/**/*.test.ts',
  'test/unit/idempotency-gate.test.ts',
  'test/media/download-concurrency.test.ts',
];

export const shared = {
  testTimeout: 30_000,
  hookTimeout: 30_000,
  pool: 'forks' as const,
  // Memory tests call gc() before measuring, so their bound is exact.
  execArgv: ['--expose-gc'],
};

export default defineConfig({
  test: {
    ...shared,
    projects: [
      { test: { ...shared, name: 'sqlite', include: ['test/**/*.test.ts'], exclude: [...configDefaults.exclude, 'test/cluster/**', 'test/browser/**'] } },
      ...(process.env['CONNEXA_TEST_BROWSER'] === '1'
        ? [{ test: { ...shared, name: 'browser', include: ['test/browser/**/*.test.ts'], fileParallelism: false, testTimeout: 60_000 } }]
        : []),
      ...(process.env['CONNEXA_TEST_POSTGRES'] === '1'
        ? [
            { test: { ...shared, name: 'postgres', include: DATABASE_TESTS, env: { CONNEXA_TEST_DIALECT: 'postgres' } } },
            {
              test: {
                ...shared,
                name: 'cluster',
                include: ['test/cluster/**/*.test.ts'],
                env: { CONNEXA_TEST_DIALECT: 'postgres' },
                fileParallelism: false,
                sequence: { groupOrder: 1 },
              },
            },
          ]
        : []),
    ],
  },
});
