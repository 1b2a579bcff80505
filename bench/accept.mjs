#!/usr/bin/env node
// Accept-path benchmark: POST /api/v1/message/text against the real gateway
// (SQLite, WAL, synchronous=FULL with group commit, sandbox engine with the
// dispatcher running in the same process), compared with a bare node:http
// server that only reads the body and answers a fixed 200 on the same machine.
//
// Servers run on core 0, wrk on core 1 (taskset, when available), 64
// connections, one wrk thread; bare and gateway runs alternate per round.
//
//   node bench/accept.mjs [--duration 8] [--rounds 2] [--connections 64] [--write]
//
// --write rewrites the section between <!-- accept:begin --> and
// <!-- accept:end --> in docs/BENCHMARKS.md. Needs `wrk` on PATH and a built
// dist/ (npm install runs the build; otherwise `npm run build`).
import { randomBytes } from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import pg from 'pg';
import path from 'node:path';
import { parseCli } from './lib/cli.mjs';
import { BARE_SERVER, DIST_CLI, DIST_MAIN, DOC, SEND_PATH } from './lib/constants.mjs';
import { createCredentials, gatewayEnv, probe } from './lib/gateway.mjs';
import { cleanup, freePort, makeTmpRoot, setPinning, sleep, startServer, stop, tail, waitReady, which } from './lib/processes.mjs';
import { docSection, fmtMs, fmtRps, machine, summarize, writeDoc } from './lib/report.mjs';
import { runWrk, writeImageLua, writeLua } from './lib/wrk.mjs';
import { IMAGE_BEGIN, IMAGE_END, imageSection, summarizeImage } from './lib/image-report.mjs';
import { randomPng } from './lib/png.mjs';

const WARMUP_S = 2;
/** Issue 10's target for the accept path on PostgreSQL (one INSERT per request measured ≈ 0.15 x here). */
const PG_TARGET_RATIO = 0.25;

/** Fresh databases on the PostgreSQL server at `url`, or undefined (with a warning) when it does not answer. */
async function benchPostgres(url) {
  const client = new pg.Client({ connectionString: url, connectionTimeoutMillis: 3000 });
  try {
    await client.connect();
  } catch (err) {
    console.warn(`warning: no PostgreSQL at ${url.replace(/\/\/[^@/]*@/, '//…@')} (${err.message}); PostgreSQL runs skipped`);
    return undefined;
  }
  const name = (round) => `connexa_bench_${process.pid}_${round}`;
  return {
    create: async (round) => {
      await client.query(`DROP DATABASE IF EXISTS ${name(round)} WITH (FORCE)`);
      await client.query(`CREATE DATABASE ${name(round)}`);
      const u = new URL(url);
      u.pathname = `/${name(round)}`;
      return u.toString();
    },
    drop: (round) => client.query(`DROP DATABASE IF EXISTS ${name(round)} WITH (FORCE)`),
    close: () => client.end(),
  };
}
let tmpRoot; // set in main(); removed by cleanup()

// ---------------------------------------------------------------- arguments

const USAGE = `Usage: node bench/accept.mjs [--duration SECONDS] [--rounds N] [--connections N] [--image-connections N] [--skip-image] [--write]

  --duration N     seconds per measured wrk run (default 8; plus a ${WARMUP_S} s warm-up)
  --rounds N       bare/gateway rounds, alternating (default 2)
  --connections N  wrk connections (default 64)
  --image-connections N  wrk connections of the image runs (default 16)
  --skip-image     only the text runs (no 1 MB base64 image runs)
  --skip-postgres  no runs on PostgreSQL
  --postgres-url U the server whose fresh databases the PostgreSQL runs use
                   (default CONNEXA_TEST_POSTGRES_URL or postgres://postgres@127.0.0.1:5432/postgres)
  --write          rewrite the accept sections of docs/BENCHMARKS.md`;

// ------------------------------------------------------------------ rounds

async function benchBare(round, lua, opts) {
  const port = await freePort();
  const base = `http://127.0.0.1:${port}`;
  const log = path.join(tmpRoot, `bare-${round}.log`);
  const child = startServer('bare node:http', [BARE_SERVER, String(port), '127.0.0.1'], process.env, log);
  try {
    await waitReady('bare node:http', child, `${base}/readyz`, log);
    await probe('bare node:http', base, 'Basic x');
    await runWrk(`${base}${SEND_PATH}`, lua, WARMUP_S, opts.connections);
    return await runWrk(`${base}${SEND_PATH}`, lua, opts.duration, opts.connections);
  } finally {
    await stop(child);
  }
}

async function benchGateway(round, lua, env, auth, opts, label) {
  const base = `http://127.0.0.1:${env.CONNEXA_PORT}`;
  const log = path.join(tmpRoot, `${label}-${round}.log`);
  const child = startServer('gateway', [DIST_MAIN], env, log);
  try {
    await waitReady('gateway', child, `${base}/readyz`, log);
    await probe('gateway', base, auth);
    await runWrk(`${base}${SEND_PATH}`, lua, WARMUP_S, opts.connections);
    const result = await runWrk(`${base}${SEND_PATH}`, lua, opts.duration, opts.connections);
    if (child.exitCode !== null || child.signalCode !== null) {
      throw new Error(`gateway exited during the run (${child.exitCode ?? child.signalCode}):\n${tail(log)}`);
    }
    const logged = tail(log, 5);
    if (logged !== '') result.log = logged;
    return result;
  } catch (err) {
    await sleep(200);
    if (child.exitCode !== null || child.signalCode !== null) {
      err.message += `\n(gateway had exited: ${child.exitCode ?? child.signalCode}; log tail:)\n${tail(log)}`;
    }
    throw err;
  } finally {
    await stop(child);
  }
}

// --------------------------------------------------------------------- main

async function main() {
  const cli = parseCli(
    USAGE,
    { duration: [8, 1, 3600], rounds: [2, 1, 50], connections: [64, 1, 10_000], 'image-connections': [16, 1, 10_000] },
    {
      'skip-image': { type: 'boolean', default: false },
      'skip-postgres': { type: 'boolean', default: false },
      'postgres-url': { type: 'string', default: process.env.CONNEXA_TEST_POSTGRES_URL ?? 'postgres://postgres@127.0.0.1:5432/postgres' },
    },
  );
  const opts = { ...cli, image: !cli['skip-image'] };
  if (!fs.existsSync(DIST_MAIN) || !fs.existsSync(DIST_CLI)) {
    console.error(`${path.relative(process.cwd(), DIST_MAIN) || DIST_MAIN} is missing: run \`npm run build\` first.`);
    process.exit(1);
  }
  if (which('wrk') === undefined) {
    console.error('wrk is not on PATH: install it (e.g. `apt-get install wrk`).');
    process.exit(1);
  }
  const pinning = which('taskset') !== undefined && os.availableParallelism() >= 2;
  setPinning(pinning);
  if (!pinning) console.warn('warning: not pinning (needs taskset and ≥ 2 cores); numbers are noisier');

  tmpRoot = makeTmpRoot();
  const postgres = opts['skip-postgres'] ? undefined : await benchPostgres(opts['postgres-url']);
  const m = machine();
  console.log(
    `accept bench: ${opts.rounds} round(s) × (bare, gateway), ${opts.duration} s each after ${WARMUP_S} s warm-up,` +
      ` wrk -t1 -c${opts.connections}; ${m.nproc} CPUs, ${m.cpu}, Node ${m.node}`,
  );

  const rounds = [];
  const imageRuns = [];
  const png = randomPng(1024 * 1024);
  const pngBase64 = png.toString('base64');
  for (let round = 1; round <= opts.rounds; round++) {
    const dataDir = path.join(tmpRoot, `data-${round}`);
    fs.mkdirSync(dataDir);
    const env = gatewayEnv(dataDir, await freePort());
    const creds = await createCredentials(env);
    const auth = `Basic ${Buffer.from(`${creds.user_id}:${creds.instance_token}`).toString('base64')}`;
    const lua = path.join(tmpRoot, `send-${round}.lua`);
    writeLua(lua, auth);

    const bare = await benchBare(round, lua, opts);
    console.log(
      `round ${round}  bare     ${fmtRps(bare.rps).padStart(7)} req/s  p50 ${fmtMs(bare.p50)}  p99 ${fmtMs(bare.p99)}` +
        `  max ${fmtMs(bare.max)}  non-2xx ${bare.non2xx}${bare.socketErrors ? `  ${bare.socketDetail}` : ''}`,
    );
    await sleep(500);
    const report = (label, g, base = bare) => {
      console.log(
        `round ${round}  ${label.padEnd(10)} ${fmtRps(g.rps).padStart(7)} req/s  p50 ${fmtMs(g.p50)}  p99 ${fmtMs(g.p99)}` +
          `  max ${fmtMs(g.max)}  non-2xx ${g.non2xx}${g.socketErrors ? `  ${g.socketDetail}` : ''}` +
          `  → ${(g.rps / base.rps).toFixed(2)} x bare`,
      );
      if (g.log !== undefined) console.log(`  gateway log (last lines):\n${g.log.replace(/^/gm, '    ')}`);
    };
    const accept = await benchGateway(round, lua, { ...env, CONNEXA_DISPATCH: 'false' }, auth, opts, 'accept');
    report('accept', accept);
    fs.rmSync(dataDir, { recursive: true, force: true });
    await sleep(500);
    // A fresh database, user and instance for the all-in-one run.
    fs.mkdirSync(dataDir);
    const env2 = gatewayEnv(dataDir, await freePort());
    const creds2 = await createCredentials(env2);
    const auth2 = `Basic ${Buffer.from(`${creds2.user_id}:${creds2.instance_token}`).toString('base64')}`;
    const lua2 = path.join(tmpRoot, `send-${round}-b.lua`);
    writeLua(lua2, auth2);
    const gateway = await benchGateway(round, lua2, env2, auth2, opts, 'all-in-one');
    report('all-in-one', gateway);
    fs.rmSync(dataDir, { recursive: true, force: true });
    await sleep(500);
    let acceptPg;
    if (postgres !== undefined) {
      // The accept path on a fresh PostgreSQL database.
      fs.mkdirSync(dataDir);
      const database = await postgres.create(round);
      const env4 = { ...gatewayEnv(dataDir, await freePort()), CONNEXA_DATABASE_URL: database, CONNEXA_SECRET_KEY: randomBytes(32).toString('hex') };
      const creds4 = await createCredentials(env4);
      const auth4 = `Basic ${Buffer.from(`${creds4.user_id}:${creds4.instance_token}`).toString('base64')}`;
      const lua4 = path.join(tmpRoot, `send-${round}-pg.lua`);
      writeLua(lua4, auth4);
      acceptPg = await benchGateway(round, lua4, { ...env4, CONNEXA_DISPATCH: 'false' }, auth4, opts, 'accept-pg');
      report('accept pg', acceptPg);
      fs.rmSync(dataDir, { recursive: true, force: true });
      await postgres.drop(round);
      await sleep(500);
    }
    rounds.push({ bare, accept, gateway, acceptPg });
    if (opts.image) {
      // The same pair of servers with a 1 MB base64 PNG per request.
      const imageLua = path.join(tmpRoot, `image-${round}.lua`);
      writeImageLua(imageLua, auth, pngBase64);
      const imageOpts = { ...opts, connections: opts['image-connections'] };
      const bareImage = await benchBare(round, imageLua, imageOpts);
      console.log(`round ${round}  bare image ${fmtRps(bareImage.rps).padStart(7)} req/s  p50 ${fmtMs(bareImage.p50)}  p99 ${fmtMs(bareImage.p99)}`);
      fs.mkdirSync(dataDir);
      const env3 = gatewayEnv(dataDir, await freePort());
      const creds3 = await createCredentials(env3);
      const auth3 = `Basic ${Buffer.from(`${creds3.user_id}:${creds3.instance_token}`).toString('base64')}`;
      const imageLua3 = path.join(tmpRoot, `image-${round}-b.lua`);
      writeImageLua(imageLua3, auth3, pngBase64);
      const acceptImage = await benchGateway(round, imageLua3, { ...env3, CONNEXA_DISPATCH: 'false' }, auth3, imageOpts, 'accept-image');
      report('acc. image', { ...acceptImage, rps: acceptImage.rps }, bareImage);
      imageRuns.push({ bare: bareImage, accept: acceptImage });
      fs.rmSync(dataDir, { recursive: true, force: true });
      await sleep(500);
    }
  }

  const summaries = [
    summarize(rounds, 'accept', 'accept path (CONNEXA_DISPATCH=false)'),
    summarize(rounds, 'gateway', 'all-in-one (dispatcher + sandbox on the same core)'),
    ...(postgres !== undefined ? [summarize(rounds, 'acceptPg', 'accept path on PostgreSQL (CONNEXA_DISPATCH=false)', PG_TARGET_RATIO)] : []),
  ];
  await postgres?.close();
  for (const s of summaries) {
    if (s.non2xx > 0 || s.socketErrors > 0) {
      console.log(`warning: gateway runs had ${s.non2xx} non-2xx responses and ${s.socketErrors} socket errors`);
    }
    console.log(s.verdict);
  }
  const image = imageRuns.length > 0 ? summarizeImage(imageRuns, png.length) : undefined;
  if (opts.write) {
    writeDoc(docSection(rounds, summaries, m, opts));
    if (image !== undefined) writeDoc(imageSection(imageRuns, image, m, opts, png.length), IMAGE_BEGIN, IMAGE_END);
    console.log(`wrote ${path.relative(process.cwd(), DOC) || DOC}`);
  }
  for (const s of summaries) console.log(s.line);
  if (image !== undefined) console.log(image.line);
}

main().catch((err) => {
  console.error(`accept bench failed: ${err instanceof Error ? err.message : String(err)}`);
  process.exitCode = 1;
  cleanup();
});
