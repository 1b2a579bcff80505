#!/usr/bin/env node
// Open-loop load: POST /api/v1/message/text on a fixed schedule (message i is
// due at t0 + i/rate, whatever the server does), over an undici Pool with
// keep-alive. Run as its own process (pinned to its own core by the caller):
//
//   node bench/lib/open-loop.mjs CONFIG.json
//
// CONFIG: { base, auths: [Basic ...], rate, warmupS, durationS, connections }.
// Message i goes to instance i % auths.length and to a recipient spread over
// 554490000000–554490000999 independently of the instance. Accept latency is
// measured from the scheduled time (so a stalled server is not hidden by the
// client waiting for it) to the end of the response. Prints one JSON line.
import fs from 'node:fs';
import { performance } from 'node:perf_hooks';
import { Pool } from 'undici';
import { SEND_PATH, TEXT } from './constants.mjs';
import { percentile } from './stats.mjs';

const cfg = JSON.parse(fs.readFileSync(process.argv[2], 'utf8'));
const pool = new Pool(cfg.base, { connections: cfg.connections, pipelining: 1, keepAliveTimeout: 60_000 });
const total = Math.round(cfg.rate * (cfg.warmupS + cfg.durationS));
const warm = Math.round(cfg.rate * cfg.warmupS);
const intervalMs = 1000 / cfg.rate;
const latency = new Float64Array(total).fill(Number.NaN);
const headers = cfg.auths.map((auth) => ({ 'content-type': 'application/json', authorization: auth }));
let ok = 0;
let non2xx = 0;
let errors = 0;
let lastError = '';
let maxLagMs = 0;

// A multiplicative hash of i: recipients vary independently of the instance.
const recipient = (i) => `554490000${String(Math.imul(i, 2654435761) >>> 0).slice(-3)}`;

function fire(i, scheduled) {
  const body = `{"phone":"${recipient(i)}","data":{"text":"${TEXT} #${i}"}}`;
  pool
    .request({ path: SEND_PATH, method: 'POST', headers: headers[i % headers.length], body })
    .then(async (res) => {
      await res.body.dump();
      latency[i] = performance.now() - scheduled;
      if (res.statusCode >= 200 && res.statusCode < 300) ok++;
      else non2xx++;
    })
    .catch((err) => {
      errors++;
      lastError = err.code ?? err.message;
    });
}

// Open every connection first (concurrent requests each take their own), so the schedule does not pay for them.
await Promise.all(Array.from({ length: cfg.connections }, () => pool.request({ path: '/readyz', method: 'GET' }).then((r) => r.body.dump())));
const t0 = performance.now() + 20;
let next = 0;
await new Promise((resolve) => {
  const tick = () => {
    const now = performance.now();
    const due = Math.min(total, Math.floor((now - t0) / intervalMs) + 1);
    while (next < due) {
      const scheduled = t0 + next * intervalMs;
      if (next >= warm) maxLagMs = Math.max(maxLagMs, now - scheduled);
      fire(next++, scheduled);
    }
    if (next < total) setTimeout(tick, 1);
    else resolve();
  };
  setTimeout(tick, Math.max(0, t0 - performance.now()));
});
const issuedMs = performance.now() - (t0 + warm * intervalMs);
// Every request ends (answer or error) before we report; undici times out stuck ones.
const deadline = performance.now() + 60_000;
while (ok + non2xx + errors < total && performance.now() < deadline) await new Promise((r) => setTimeout(r, 20));
await pool.close().catch(() => {});

const measured = Array.from(latency.subarray(warm))
  .filter((x) => !Number.isNaN(x))
  .sort((a, b) => a - b);
process.stdout.write(
  `${JSON.stringify({
    total,
    warm,
    measured: total - warm,
    ok,
    non2xx,
    errors,
    unanswered: total - ok - non2xx - errors,
    lastError,
    // Sends issued per second over the measured part of the schedule.
    achievedRate: (total - warm) / (issuedMs / 1000),
    maxLagMs,
    acceptP50: percentile(measured, 0.5),
    acceptP99: percentile(measured, 0.99),
    acceptMax: measured[measured.length - 1] ?? Number.NaN,
  })}\n`,
);
