#!/usr/bin/env node
/**
 * `npm run mutate [-- folder ...]`: StrykerJS over src/accept, src/dispatch,
 * src/store, src/webhooks and src/media, one folder at a time (each keeps its
 * own incremental file, so a re-run tests only what changed and an interrupted
 * run keeps the folders it finished), then the score per folder from the
 * reports in reports/mutation/<folder>/mutation.json.
 */
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import { STORE_PARTS } from '../stryker.config.mjs';

const ALL = ['accept', 'dispatch', 'store', 'webhooks', 'media'];
// src/store in parts, each with its own report (see stryker.config.mjs); `store` alone runs them all.
const PARTS = Object.keys(STORE_PARTS);
// Parts whose code runs only on PostgreSQL: their tests run on PostgreSQL (CONNEXA_TEST_POSTGRES_URL, else 127.0.0.1:5432).
const ON_POSTGRES = ['store-postgres'];
const args = process.argv.slice(2);
const reportOnly = args.includes('--report');
const folders = args.filter((a) => !a.startsWith('--'));
for (const f of folders) if (!ALL.includes(f) && !PARTS.includes(f)) throw new Error(`unknown folder ${f}: one of ${[...ALL, ...PARTS].join(', ')}`);
const chosen = (folders.length > 0 ? folders : ALL).flatMap((f) => (f === 'store' ? PARTS : [f]));

if (!reportOnly) {
  // Some tests run the built CLI (dist/): build it from the unmutated source first.
  const build = spawnSync('npm', ['run', 'build'], { stdio: 'inherit' });
  if (build.status !== 0) process.exit(build.status ?? 1);
  for (const folder of chosen) {
    console.log(`\n== mutating src/${folder}`);
    const dialect = ON_POSTGRES.includes(folder) ? { CONNEXA_TEST_DIALECT: 'postgres' } : {};
    const run = spawnSync('npx', ['stryker', 'run'], { stdio: 'inherit', env: { ...process.env, MUTATE_FOLDER: folder, ...dialect } });
    if (run.status !== 0) process.exit(run.status ?? 1);
  }
}

/** Whether `source` (src/store/…) is one of the part's files: names, or `folder/*` for a folder's files. */
function inPart(part, source) {
  const name = source.replace(/^src\/store\//, '').replace(/\.ts$/, '');
  return STORE_PARTS[part].some((f) => (f.endsWith('/*') ? name.startsWith(f.slice(0, -1)) && !name.slice(f.length - 1).includes('/') : name === f));
}

/** Counts by Stryker's statuses over the reports of the given parts; the score is killed + timeout over every valid mutant. */
function summary(folder, parts = [folder]) {
  if (!parts.every((p) => fs.existsSync(`reports/mutation/${p}/mutation.json`))) return undefined;
  const n = { Killed: 0, Timeout: 0, Survived: 0, NoCoverage: 0, Ignored: 0, CompileError: 0, RuntimeError: 0 };
  const dates = [];
  for (const part of parts) {
    const file = `reports/mutation/${part}/mutation.json`;
    dates.push(fs.statSync(file).mtime.toISOString());
    const report = JSON.parse(fs.readFileSync(file, 'utf8'));
    for (const [source, { mutants }] of Object.entries(report.files)) {
      // A report written before a file moved to another part does not count it twice.
      if (part in STORE_PARTS && !inPart(part, source)) continue;
      for (const m of mutants) n[m.status] = (n[m.status] ?? 0) + 1;
    }
  }
  const valid = n.Killed + n.Timeout + n.Survived + n.NoCoverage;
  return { folder, ...n, score: valid === 0 ? 100 : (100 * (n.Killed + n.Timeout)) / valid, at: dates.sort()[0] };
}

// src/store: its own report from a whole-folder run, else the sum of its parts once every part has one.
const store = summary('store') ?? summary('store', PARTS);
const rows = [...ALL.filter((f) => f !== 'store').map((f) => summary(f)), store, ...PARTS.map((p) => summary(p))].filter((r) => r !== undefined);
console.log('\n| folder | score | killed | timeout | survived | no coverage | ignored (static) | report date |');
console.log('| --- | --- | --- | --- | --- | --- | --- | --- |');
for (const r of rows) {
  console.log(
    `| src/${r.folder} | ${r.score.toFixed(1)}% | ${r.Killed} | ${r.Timeout} | ${r.Survived} | ${r.NoCoverage} | ${r.Ignored} | ${r.at.slice(0, 10)} |`,
  );
}
