#!/usr/bin/env node
// Password guessing: N sends with wrong instance tokens for one user_id, as
// fast as `concurrency` connections allow. Run as its own process:
//
//   node bench/lib/attacker.mjs CONFIG.json
//
// CONFIG: { base, userId, attempts, concurrency }. Prints one JSON line with
// the answers by status and how long the whole run took.
import fs from 'node:fs';
import { performance } from 'node:perf_hooks';
import { Pool } from 'undici';
import { SEND_PATH, TEXT } from './constants.mjs';

const cfg = JSON.parse(fs.readFileSync(process.argv[2], 'utf8'));
const pool = new Pool(cfg.base, { connections: cfg.concurrency, pipelining: 1 });
const body = `{"phone":"554490000000","data":{"text":"${TEXT}"}}`;
const statuses = {};
let errors = 0;
let next = 0;
const started = performance.now();

async function worker() {
  while (next < cfg.attempts) {
    const i = next++;
    // A different guess each time, as a real attacker's would be.
    const auth = `Basic ${Buffer.from(`${cfg.userId}:cnx_guess_${i}`).toString('base64')}`;
    try {
      const res = await pool.request({ path: SEND_PATH, method: 'POST', headers: { 'content-type': 'application/json', authorization: auth }, body });
      await res.body.dump();
      statuses[res.statusCode] = (statuses[res.statusCode] ?? 0) + 1;
    } catch {
      errors++;
    }
  }
}

await Promise.all(Array.from({ length: cfg.concurrency }, worker));
const seconds = (performance.now() - started) / 1000;
await pool.close().catch(() => {});
process.stdout.write(`${JSON.stringify({ attempts: cfg.attempts, statuses, errors, seconds })}\n`);
