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

const ALL = ['accept', 'dispatch', 'store', 'webhooks', 'media'];
// src/store in two halves (the queue's statements, the rest), each with its own report: see stryker.config.mjs.
const PARTS = ['store-queue', 'store-rest'];
const args = process.argv.slice(2);
const reportOnly = args.includes('--report');
const folders = args.filter((a) => !a.startsWith('--'));
for (const f of folders) if (!ALL.includes(f) && !PARTS.includes(f)) throw new Error(`unknown folder ${f}: one of ${[...ALL, ...PARTS].join(', ')}`);
const chosen = folders.length > 0 ? folders : ALL;

if (!reportOnly) {
  // Some tests run the built CLI (dist/): build it from the unmutated source first.
  const build = spawnSync('npm', ['run', 'build'], { stdio: 'inherit' });
  if (build.status !== 0) process.exit(build.status ?? 1);
  for (const folder of chosen) {
    console.log(`\n== mutating src/${folder}`);
    const run = spawnSync('npx', ['stryker', 'run'], { stdio: 'inherit', env: { ...process.env, MUTATE_FOLDER: folder } });
    if (run.status !== 0) process.exit(run.status ?? 1);
  }
}

/** Counts by Stryker's statuses; the score is killed + timeout over every valid mutant. */
function summary(folder) {
  const file = `reports/mutation/${folder}/mutation.json`;
  if (!fs.existsSync(file)) return undefined;
  const report = JSON.parse(fs.readFileSync(file, 'utf8'));
  const n = { Killed: 0, Timeout: 0, Survived: 0, NoCoverage: 0, Ignored: 0, CompileError: 0, RuntimeError: 0 };
  for (const { mutants } of Object.values(report.files)) for (const m of mutants) n[m.status] = (n[m.status] ?? 0) + 1;
  const valid = n.Killed + n.Timeout + n.Survived + n.NoCoverage;
  return { folder, ...n, score: valid === 0 ? 100 : (100 * (n.Killed + n.Timeout)) / valid, at: fs.statSync(file).mtime.toISOString() };
}

const rows = [...ALL, ...PARTS].map(summary).filter((r) => r !== undefined);
console.log('\n| folder | score | killed | timeout | survived | no coverage | ignored (static) | report date |');
console.log('| --- | --- | --- | --- | --- | --- | --- | --- |');
for (const r of rows) {
  console.log(
    `| src/${r.folder} | ${r.score.toFixed(1)}% | ${r.Killed} | ${r.Timeout} | ${r.Survived} | ${r.NoCoverage} | ${r.Ignored} | ${r.at.slice(0, 10)} |`,
  );
}
