#!/usr/bin/env node
// Heavy media on the accept path, this code against another build in the same
// run (alternating): each side is the built gateway (dist/main.js of its
// checkout, SQLite, CONNEXA_DISPATCH=false) on a fresh data dir.
//  1. a 30 MB document as base64 while another client polls /healthz every
//     20 ms: the poller's p50/p99/max, the upload's time, the gateway's RSS peak
//     over its idle RSS (memory per in-flight upload);
//  2. 1 MB base64 images sent by --clients keep-alive clients for --seconds:
//     accepts per second and p99.
//
//   node bench/media-upload.mjs --baseline /path/to/other/checkout [--rounds 2] [--seconds 8] [--clients 8] [--write]
import { spawnSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import http from 'node:http';
import { parseCli } from './lib/cli.mjs';
import { ROOT } from './lib/constants.mjs';
import { gatewayEnv } from './lib/gateway.mjs';
import { randomPng } from './lib/png.mjs';
import { createTenant, fmtInt, machineLines, markers, writeSection } from './lib/pressure.mjs';
import { cleanup, freePort, makeTmpRoot, sleep, startServer, stop, waitReady } from './lib/processes.mjs';
import { machine } from './lib/report.mjs';
import { percentile } from './lib/stats.mjs';

const USAGE = `Usage: node bench/media-upload.mjs --baseline DIR [--rounds 2] [--seconds 8] [--clients 8] [--data-dir DIR] [--write]

  --baseline DIR  another checkout, built (its dist/main.js is run as "before")
  --rounds N      alternating before/after rounds (default 2)
  --seconds N     length of each image run (default 8)
  --clients N     concurrent image senders (default 8)
  --data-dir DIR  where both sides keep their database (and files), e.g. /dev/shm to
                  take the disk out of the comparison; default: a temporary folder
  --write         rewrite the media-upload section of docs/BENCHMARKS.md`;

/** A PDF-looking document of `size` bytes (magic bytes, then random). */
function pdf(size) {
  const b = randomBytes(size);
  b.write('%PDF-1.7\n', 0, 'latin1');
  return b;
}

/** CPU time (ms) of the gateway's main thread, the event loop, from /proc (utime + stime, 100 ticks a second). */
function eventLoopCpuMs(pid) {
  const fields = fs.readFileSync(`/proc/${pid}/task/${pid}/stat`, 'utf8').split(') ')[1].split(' ');
  return (Number(fields[11]) + Number(fields[12])) * 10;
}

function rssKb(pid) {
  const status = fs.readFileSync(`/proc/${pid}/status`, 'utf8');
  return Number(/^VmRSS:\s+(\d+)/m.exec(status)?.[1] ?? Number.NaN);
}

async function startSide(root, dataRoot) {
  const tmp = makeTmpRoot();
  const dataDir = dataRoot === undefined ? path.join(tmp, 'data') : fs.mkdtempSync(path.join(dataRoot, 'connexa-media-bench-'));
  fs.mkdirSync(dataDir, { recursive: true });
  const env = {
    ...gatewayEnv(dataDir, await freePort()),
    CONNEXA_DISPATCH: 'false',
    CONNEXA_HTTP_MAX_CONNECTIONS_PER_ADDRESS: '100000',
    CONNEXA_MEDIA_QUEUE_MAX_MB_PER_INSTANCE: '100000',
  };
  const base = `http://127.0.0.1:${env.CONNEXA_PORT}`;
  const log = path.join(tmp, 'gateway.log');
  const child = startServer('gateway', [path.join(root, 'dist', 'main.js')], env, log);
  await waitReady('gateway', child, `${base}/readyz`, log);
  const tenant = await createTenant(base, env.CONNEXA_ADMIN_TOKEN, 'media');
  return { base, child, auth: tenant.auth, dataDir };
}

/** One request over a keep-alive agent; resolves with its status once the answer is read. */
function call(agent, url, { method = 'GET', headers = {}, body } = {}) {
  return new Promise((resolve, reject) => {
    const req = http.request(
      url,
      { method, agent, headers: body === undefined ? headers : { ...headers, 'content-length': Buffer.byteLength(body) } },
      (res) => {
        res.resume();
        res.on('end', () => resolve(res.statusCode ?? 0));
      },
    );
    req.on('error', reject);
    req.end(body);
  });
}

function send(agent, base, auth, type, body) {
  return call(agent, `${base}/api/v1/message/${type}`, { method: 'POST', body, headers: { authorization: auth, 'content-type': 'application/json' } });
}

/** The 30 MB document while a poller watches /healthz. */
async function bigUpload(side) {
  const dispatcher = new http.Agent({ keepAlive: true, maxSockets: 4 });
  const body = Buffer.from(JSON.stringify({ phone: '554499999999', data: { base64: pdf(30 * 1024 * 1024).toString('base64'), filename: 'big.pdf' } }));
  await sleep(500);
  const idle = rssKb(side.child.pid);
  let peak = idle;
  let polling = true;
  const latencies = [];
  const poller = (async () => {
    while (polling) {
      const t = performance.now();
      await call(dispatcher, `${side.base}/healthz`);
      latencies.push(performance.now() - t);
      peak = Math.max(peak, rssKb(side.child.pid));
      await sleep(20);
    }
  })();
  await sleep(200);
  const t = performance.now();
  const status = await send(dispatcher, side.base, side.auth, 'document', body);
  const uploadMs = performance.now() - t;
  await sleep(200);
  polling = false;
  await poller;
  dispatcher.destroy();
  latencies.sort((a, b) => a - b);
  return { status, uploadMs, p50: percentile(latencies, 0.5), p99: percentile(latencies, 0.99), max: latencies.at(-1) ?? 0, memMb: (peak - idle) / 1024 };
}

/** 1 MB images from `clients` keep-alive clients for `seconds`. */
async function images(side, clients, seconds) {
  const dispatcher = new http.Agent({ keepAlive: true, maxSockets: clients });
  // Encoded once: the client's own cost stays out of what is measured (both sides share the machine).
  const body = Buffer.from(JSON.stringify({ phone: '554499999999', data: { base64: randomPng(1024 * 1024).toString('base64') } }));
  const until = performance.now() + seconds * 1000;
  const cpuBefore = eventLoopCpuMs(side.child.pid);
  const latencies = [];
  let ok = 0;
  let other = 0;
  const codes = new Map();
  await Promise.all(
    Array.from({ length: clients }, async () => {
      while (performance.now() < until) {
        const t = performance.now();
        const status = await send(dispatcher, side.base, side.auth, 'image', body);
        latencies.push(performance.now() - t);
        if (status === 200) ok++;
        else {
          other++;
          codes.set(status, (codes.get(status) ?? 0) + 1);
        }
      }
    }),
  );
  const cpuMs = eventLoopCpuMs(side.child.pid) - cpuBefore;
  dispatcher.destroy();
  latencies.sort((a, b) => a - b);
  if (other > 0) console.log(`  non-200 answers by status: ${JSON.stringify(Object.fromEntries(codes))}`);
  return { rps: ok / seconds, imgP99: percentile(latencies, 0.99), other, loopMs: ok > 0 ? cpuMs / ok : Number.NaN };
}

/**
 * Writes the page cache back to disk, so one phase does not pay for the
 * writes of the one before it (the other side's database, or this side's
 * 30 MB document) when the kernel flushes them in the background.
 */
function flushDisks() {
  spawnSync('sync');
}

async function runSide(name, root, opts) {
  flushDisks();
  const side = await startSide(root, opts['data-dir']);
  try {
    const big = await bigUpload(side);
    // The upload lags the event loop, and the overload guard then sheds sends for a few seconds: let it settle.
    await sleep(6_000);
    flushDisks();
    const img = await images(side, opts.clients, opts.seconds);
    const line = { name, ...big, ...img };
    console.log(
      `${name}: 30 MB doc HTTP ${big.status} in ${fmtInt(big.uploadMs)} ms, /healthz p50 ${big.p50.toFixed(1)} ms p99 ${big.p99.toFixed(1)} ms max ${big.max.toFixed(0)} ms, ` +
        `RSS +${big.memMb.toFixed(0)} MB; 1 MB images ${img.rps.toFixed(1)}/s p99 ${fmtInt(img.imgP99)} ms, event loop ${img.loopMs.toFixed(1)} ms CPU each (${img.other} non-200)`,
    );
    return line;
  } finally {
    await stop(side.child);
    if (opts['data-dir'] !== undefined) fs.rmSync(side.dataDir, { recursive: true, force: true });
  }
}

const median = (xs) => {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.floor((s.length - 1) / 2)];
};

async function main() {
  const opts = parseCli(
    USAGE,
    { rounds: [2, 1, 20], seconds: [8, 2, 600], clients: [8, 1, 256] },
    { baseline: { type: 'string' }, 'data-dir': { type: 'string' } },
  );
  if (typeof opts.baseline !== 'string' || !fs.existsSync(path.join(opts.baseline, 'dist', 'main.js')))
    throw new Error('--baseline must be a built checkout (dist/main.js)');
  const rows = [];
  for (let round = 1; round <= opts.rounds; round++) {
    rows.push({ round, ...(await runSide('before', opts.baseline, opts)) });
    rows.push({ round, ...(await runSide('after', ROOT, opts)) });
  }
  const side = (name) => rows.filter((r) => r.name === name);
  const m = (name, key) => median(side(name).map((r) => r[key]));
  const summary =
    `images ${m('after', 'rps').toFixed(1)}/s vs ${m('before', 'rps').toFixed(1)}/s before (${(m('after', 'rps') / m('before', 'rps')).toFixed(2)}x); ` +
    `during a 30 MB upload /healthz p99 ${m('after', 'p99').toFixed(1)} ms vs ${m('before', 'p99').toFixed(1)} ms; ` +
    `event loop CPU per image ${m('after', 'loopMs').toFixed(1)} ms vs ${m('before', 'loopMs').toFixed(1)} ms; ` +
    `RSS per upload +${m('after', 'memMb').toFixed(0)} MB vs +${m('before', 'memMb').toFixed(0)} MB (file 30 MB)`;
  console.log(`\nSummary (medians): ${summary}`);
  if (opts.write) {
    // A run on another data folder (e.g. tmpfs) is a section of its own.
    const section = opts['data-dir'] === undefined ? 'media-upload' : 'media-upload-data-dir';
    const { begin, end } = markers(section);
    const table = rows
      .map(
        (r) =>
          `| ${r.round} | ${r.name} | ${fmtInt(r.uploadMs)} ms | ${r.p50.toFixed(1)} / ${r.p99.toFixed(1)} / ${r.max.toFixed(0)} ms | +${r.memMb.toFixed(0)} MB | ${r.rps.toFixed(1)} | ${fmtInt(r.imgP99)} ms | ${r.loopMs.toFixed(1)} ms | ${r.other} |`,
      )
      .join('\n');
    const where = opts['data-dir'] === undefined ? '' : ` --data-dir ${opts['data-dir']}`;
    writeSection(
      section,
      `${begin}
### Latest run${where === '' ? '' : `, data on ${opts['data-dir']}`}

${machineLines(machine(), `node bench/media-upload.mjs --baseline <checkout> --rounds ${opts.rounds} --seconds ${opts.seconds} --clients ${opts.clients}${where} --write`)}
- "before" is the baseline named in the text above, "after" this code, alternating.

| round | side | 30 MB upload | /healthz p50 / p99 / max during it | RSS peak over idle | 1 MB images/s | image p99 | event loop CPU per image | non-200 |
|---|---|---:|---:|---:|---:|---:|---:|---:|
${table}

Summary (medians): ${summary}
${end}`,
    );
  }
}

main().then(
  () => cleanup(),
  (err) => {
    console.error(err instanceof Error ? err.message : err);
    cleanup();
    process.exit(1);
  },
);
