// Mutation testing, on demand: `npm run mutate` (not in CI: slow on two cores).
// Scores and the surviving mutants worth a test: docs/QUALITY.md.
// scripts/mutate.mjs runs one folder at a time (MUTATE_FOLDER), each with its
// own incremental file and report, so a long run keeps what it finished.
const folder = process.env.MUTATE_FOLDER;
const FOLDERS = ['accept', 'dispatch', 'store', 'webhooks', 'media'];
const out = folder === undefined ? 'reports/mutation' : `reports/mutation/${folder}`;
// src/store takes hours on two cores: it runs as parts, each with its own report and
// incremental file, small enough to finish within a working session.
export const STORE_PARTS = {
  'store-queue': [
    'outbox',
    'outcomes',
    'status-transitions',
    'receipts',
    'ingest-sql',
    'queue-depth',
    'messages',
    'idempotency',
    'instance-states',
    'instances',
    'users',
  ],
  'store-whatsapp': ['whatsapp', 'whatsapp-auth'],
  'store-engines': ['cloud', 'sandbox-inbox'],
  'store-hooks': ['webhook-outbox', 'webhook-endpoints', 'webhook-deliveries', 'event-log'],
  'store-files': ['media-spool', 'spool-files', 'database', 'migrate'],
  // The migrations are most of what was one "drivers" part (829 mutants, longer than a session): a part of their own.
  'store-migrations': ['migrations/*'],
  'store-drivers': ['schema', 'sqlite/*'],
  // PostgreSQL-only code (cluster leases, the driver): scripts/mutate.mjs runs this part's tests on PostgreSQL.
  'store-postgres': ['leases', 'postgres/*'],
};
const PARTS = Object.fromEntries(Object.entries(STORE_PARTS).map(([part, files]) => [part, files.map((f) => `src/store/${f}.ts`)]));

/** @type {import('@stryker-mutator/api/core').PartialStrykerOptions} */
export default {
  testRunner: 'vitest',
  // The suite without the tests that run the built server in another process (they cannot see a mutant).
  vitest: { configFile: 'vitest.mutate.config.ts' },
  // Memory tests call gc().
  testRunnerNodeArgs: ['--expose-gc'],
  mutate: folder !== undefined && folder in PARTS ? PARTS[folder] : (folder === undefined ? FOLDERS : [folder]).map((f) => `src/${f}/**/*.ts`),
  coverageAnalysis: 'perTest',
  // Mutants in module-level constants would each need the whole suite: reported as ignored.
  ignoreStatic: true,
  // A re-run tests only mutants whose code or covering tests changed.
  incremental: true,
  incrementalFile: `${out}/incremental.json`,
  concurrency: 2,
  // A mutant that hangs a test (a loop that never ends, a wait never met) is a kill by timeout: no need to wait long.
  timeoutMS: 3_000,
  reporters: ['clear-text', 'progress', 'html', 'json'],
  htmlReporter: { fileName: `${out}/mutation.html` },
  jsonReporter: { fileName: `${out}/mutation.json` },
  clearTextReporter: { allowColor: false, reportScoreTable: true, reportMutants: false },
  tempDirName: '.stryker-tmp',
  cleanTempDir: 'always',
  // Stryker rewrites tsconfig paths with the TypeScript 5 API, which TypeScript 7 does not have;
  // ours need no rewriting, so no tsconfig is handed to it.
  tsconfigFile: 'no-tsconfig-rewrite',
};
