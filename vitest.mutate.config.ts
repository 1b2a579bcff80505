/**
 * The suite as `npm run mutate` runs it under StrykerJS: every test that runs
 * the source in this process. Tests that start the built server (dist/) in a
 * process of their own cannot see a mutant, so they are left out.
 */
import { defineConfig } from 'vitest/config';
import { shared } from './vitest.config.js';

// One project, on SQLite (the PostgreSQL half of `npm test` would test the same mutants again).
export default defineConfig({
  test: {
    ...shared,
    include: ['test/**/*.test.ts'],
    // Stryker runs the tests in worker threads, which take no V8 flags: its test
    // runner process gets --expose-gc instead (stryker.config.mjs).
    execArgv: [],
    exclude: ['node_modules/**', 'test/e2e/crash.test.ts', 'test/e2e/accept-commit.test.ts', 'test/e2e/slow-commit.test.ts', 'test/e2e/cli.test.ts'],
  },
});
