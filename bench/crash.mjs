#!/usr/bin/env node
// Crash harness: a stream of sends while the built gateway (dist/main.js, SQLite,
// sandbox engine) is killed with SIGKILL at random moments and restarted on the
// same database. Every acknowledged message_id (a 200) must reach `sent` or later
// and arrive in the sandbox inbox exactly once; a request cut by a kill (no answer)
// may or may not arrive, at most once.
//
//   node bench/crash.mjs [--kills 6] [--duration 20] [--senders 8] [--instances 2] [--write]
//
// Exit code 1 if any acknowledged message is lost or any message arrives twice
// (or a rejected request or a wrong text arrives). --write rewrites the section
// between <!-- crash:begin --> and <!-- crash:end --> in docs/BENCHMARKS.md.
import { randomBytes } from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { parseCli } from './lib/cli.mjs';
import { DIST_MAIN, DOC, SEND_PATH } from './lib/constants.mjs';
import { gatewayEnv } from './lib/gateway.mjs';
import { api, createTenant, fmtInt, mapLimit, markers, machineLines, readInbox, writeSection } from './lib/pressure.mjs';
import { cleanup, freePort, makeTmpRoot, sleep, startServer, stop, tail, waitReady } from './lib/processes.mjs';
import { machine } from './lib/report.mjs';

const SETTLE_LIMIT_MS = 60_000; // acknowledged messages must be `sent` or later within this after the last restart
const READY_LIMIT_MS = 30_000;
const DONE = new Set(['sent', 'delivered', 'read']);
const { begin: BEGIN, end: END } = markers('crash');

const USAGE = `Usage: node bench/crash.mjs [--kills N] [--duration SECONDS] [--senders N] [--instances N] [--write]

  --kills N        SIGKILLs, 0.5–2.5 s of sending apart (default 6, at least 5)
  --duration N     seconds of sending in all; what the kills leave is sent after the last restart (default 20)
  --senders N      concurrent senders, each with its own recipient (default 8)
  --instances N    sandbox instances the senders share out (default 2)
  --write          rewrite the crash section of docs/BENCHMARKS.md`;

// ------------------------------------------------------------------ the gateway

class Server {
  constructor(env, logFile) {
    this.env = env;
    this.logFile = logFile;
    this.base = `http://127.0.0.1:${env.CONNEXA_PORT}`;
    this.child = undefined;
  }

  /** Starts dist/main.js and waits for /readyz; returns the ms it took. */
  async start() {
    const t0 = Date.now();
    this.child = startServer('gateway', [DIST_MAIN], this.env, this.logFile);
    await waitReady('gateway', this.child, `${this.base}/readyz`, this.logFile, READY_LIMIT_MS);
    return Date.now() - t0;
  }

  async kill() {
    const c = this.child;
    if (c === undefined || c.exitCode !== null || c.signalCode !== null) throw new Error(`gateway had already exited:\n${tail(this.logFile)}`);
    const exited = new Promise((resolve) => c.once('exit', resolve));
    c.kill('SIGKILL');
    await exited;
  }

  alive() {
    return this.child !== undefined && this.child.exitCode === null && this.child.signalCode === null;
  }
}

// ---------------------------------------------------------------- the senders

/**
 * Senders loop until `stop()`, each request with a unique text. A request waits at
 * the gate while the server is down; what a kill cuts gets no answer.
 */
function startSenders(base, tenants, count, runId) {
  const byText = new Map(); // text → { outcome: 'pending'|'acked'|'unanswered'|'refused'|'rejected', id, tenant }
  const acked = new Map(); // message_id → text
  const counts = { attempted: 0, acked: 0, unanswered: 0, refused: 0, rejected: 0, inFlight: 0 };
  const rejections = new Map(); // HTTP status → count
  let seq = 0;
  let sending = true;
  let gate = Promise.resolve();
  let open = () => {};

  const one = async (w) => {
    const tenant = w % tenants.length;
    const text = `crash ${runId} #${seq++}`;
    const rec = { outcome: 'pending', id: undefined, tenant };
    byText.set(text, rec);
    counts.attempted++;
    counts.inFlight++;
    try {
      const res = await fetch(`${base}${SEND_PATH}`, {
        method: 'POST',
        headers: { authorization: tenants[tenant].auth, 'content-type': 'application/json' },
        body: JSON.stringify({ phone: `5544900000${String(w).padStart(2, '0')}`, data: { text } }),
        signal: AbortSignal.timeout(15_000),
      });
      const body = await res.text();
      let id;
      try {
        id = JSON.parse(body).message_id;
      } catch {
        id = undefined;
      }
      if (res.status === 200 && typeof id === 'string') {
        rec.outcome = 'acked';
        rec.id = id;
        acked.set(id, text);
        counts.acked++;
      } else {
        rec.outcome = 'rejected';
        counts.rejected++;
        rejections.set(res.status, (rejections.get(res.status) ?? 0) + 1);
      }
    } catch (err) {
      // Refused: the request never reached a server. Anything else (reset, closed, timeout): no answer.
      const refused = err?.cause?.code === 'ECONNREFUSED';
      rec.outcome = refused ? 'refused' : 'unanswered';
      counts[rec.outcome]++;
    } finally {
      counts.inFlight--;
    }
  };

  const loops = Array.from({ length: count }, async (_, w) => {
    while (sending) {
      await gate;
      if (!sending) return;
      await one(w);
    }
  });

  return {
    byText,
    acked,
    counts,
    rejections,
    /** New requests wait until open() (the server is going down). */
    close() {
      gate = new Promise((resolve) => (open = resolve));
    },
    open: () => open(),
    async stop() {
      sending = false;
      open();
      await Promise.all(loops);
    },
  };
}

// ------------------------------------------------------------------ checking

/** Polls GET /api/v1/message/{id} until every acknowledged message is sent or later (bounded). */
async function settle(base, tenants, senders) {
  const deadline = Date.now() + SETTLE_LIMIT_MS;
  const finalStatus = new Map();
  let pending = [...senders.acked.keys()];
  while (pending.length > 0) {
    const statuses = await mapLimit(pending, 16, async (id) => {
      const text = senders.acked.get(id);
      const r = await api(base, 'GET', `/api/v1/message/${id}`, { auth: tenants[senders.byText.get(text).tenant].auth });
      return r.status === 200 ? r.json.status : `HTTP ${r.status}`;
    });
    const next = [];
    pending.forEach((id, i) => {
      finalStatus.set(id, statuses[i]);
      if (!DONE.has(statuses[i]) && statuses[i] !== 'failed') next.push(id);
    });
    pending = next;
    if (pending.length === 0 || Date.now() > deadline) break;
    await sleep(250);
  }
  const byStatus = {};
  for (const s of finalStatus.values()) byStatus[s] = (byStatus[s] ?? 0) + 1;
  return { byStatus, unsettled: pending.length };
}

/** Every inbox entry of every instance, read until two reads a second apart agree (bounded). */
async function stableInbox(base, tenants) {
  let entries = [];
  for (let round = 0; round < 10; round++) {
    const read = (await Promise.all(tenants.map((t) => readInbox(base, t.auth)))).flat();
    if (round > 0 && read.length === entries.length) return read;
    entries = read;
    await sleep(1_000);
  }
  return entries;
}

function analyse(entries, senders) {
  const perId = new Map(); // message_id:part → count
  const idsPerText = new Map(); // text → Set(message_id)
  let wrongText = 0;
  let unexpected = 0; // refused/rejected/unknown requests that arrived
  const deliveredUnanswered = new Set();
  let resends = 0;
  for (const e of entries) {
    const key = `${e.message_id}:${e.part}`;
    perId.set(key, (perId.get(key) ?? 0) + 1);
    resends += e.resends ?? 0;
    if (!idsPerText.has(e.text)) idsPerText.set(e.text, new Set());
    idsPerText.get(e.text).add(e.message_id);
    const ackedText = senders.acked.get(e.message_id);
    if (ackedText !== undefined) {
      if (ackedText !== e.text) wrongText++;
      continue;
    }
    const rec = senders.byText.get(e.text);
    if (rec?.outcome === 'unanswered') deliveredUnanswered.add(e.text);
    else unexpected++;
  }
  const arrived = new Set(entries.map((e) => e.message_id));
  const lost = [...senders.acked.keys()].filter((id) => !arrived.has(id));
  const twiceById = [...perId.values()].filter((n) => n > 1).length;
  const twiceByText = [...idsPerText.values()].filter((ids) => ids.size > 1).length;
  return {
    entries: entries.length,
    lost,
    duplicated: twiceById + twiceByText,
    twiceById,
    twiceByText,
    wrongText,
    unexpected,
    deliveredUnanswered: deliveredUnanswered.size,
    resends,
  };
}

// ---------------------------------------------------------------------- doc

function docSection(opts, m, kills, senders, settled, result, line, ok) {
  const c = senders.counts;
  const rows = kills.map((k, i) => `| ${i + 1} | ${(k.atMs / 1000).toFixed(1)} s | ${fmtInt(k.ackedBefore)} | ${k.cut} | ${fmtInt(k.restartMs)} ms |`);
  const statuses =
    Object.entries(settled.byStatus)
      .map(([s, n]) => `${s} ${fmtInt(n)}`)
      .join(', ') || 'none';
  return `${BEGIN}
## Crash safety: SIGKILL during a stream of sends

What is checked: a \`200 {"message_id"}\` is a promise that the message is on disk and
will be sent exactly once, even if the process dies at any moment. A stream of text
sends (${opts.senders} concurrent senders over ${opts.instances} sandbox instances, every text unique) runs
against the built gateway (\`dist/main.js\`, SQLite, dispatcher and sandbox engine in
the same process, \`CONNEXA_SANDBOX_DELIVER_MS=20\`, \`CONNEXA_SANDBOX_READ_MS=40\`)
while it is killed with SIGKILL ${opts.kills} times, 0.5–2.5 s of sending apart, and restarted on the
same database each time. After the last restart (and the rest of the ${opts.duration} s of sending) every
acknowledged message must reach \`sent\` or later within ${SETTLE_LIMIT_MS / 1000} s, and the sandbox
inbox (\`GET /api/v1/sandbox/messages\`) must hold each of them exactly once. A request
cut by a kill got no answer: it may or may not have been stored, so it may arrive
(at most once; recognised by its text).

${machineLines(m, `node bench/crash.mjs --kills ${opts.kills} --duration ${opts.duration} --senders ${opts.senders} --instances ${opts.instances} --write`)}

| kill | after | acknowledged before | requests cut | restart → \`/readyz\` |
|---:|---:|---:|---:|---:|
${rows.join('\n')}

- requests: ${fmtInt(c.attempted)} sent, ${fmtInt(c.acked)} acknowledged (200), ${fmtInt(c.unanswered)} without an answer (cut by a kill),
  ${fmtInt(c.refused)} refused (server down, never reached it), ${fmtInt(c.rejected)} answered with another status${senders.rejections.size > 0 ? ` (${[...senders.rejections].map(([s, n]) => `${s}: ${n}`).join(', ')})` : ''}
- acknowledged messages after the last restart: ${statuses}${settled.unsettled > 0 ? `; ${settled.unsettled} not yet sent after ${SETTLE_LIMIT_MS / 1000} s` : ''}
- sandbox inbox: ${fmtInt(result.entries)} entries; lost ${result.lost.length}, delivered twice ${result.duplicated}
  (same message_id ${result.twiceById}, same text under two ids ${result.twiceByText}), wrong text ${result.wrongText},
  arrived although refused or rejected ${result.unexpected}; ${result.deliveredUnanswered} of the ${c.unanswered} unanswered requests
  arrived (once each)
- the sandbox, like WhatsApp, keys arrivals by the provider message id (derived from the message_id), so a
  message handed to the engine again after a kill counts as a resend of the same arrival, not a second one:
  ${fmtInt(result.resends)} such resends; a second arrival would need a second message_id (a duplicate accept),
  which the same-text check catches
- \`${line}\`
- Result: **${ok ? 'pass' : 'FAIL'}**
${END}`;
}

// --------------------------------------------------------------------- main

async function main() {
  const opts = parseCli(USAGE, { kills: [6, 5, 100], duration: [20, 5, 600], senders: [8, 1, 64], instances: [2, 1, 16] });
  if (!fs.existsSync(DIST_MAIN)) {
    console.error(`${path.relative(process.cwd(), DIST_MAIN) || DIST_MAIN} is missing: run \`npm run build\` first.`);
    process.exit(1);
  }
  const tmpRoot = makeTmpRoot();
  const env = {
    ...gatewayEnv(tmpRoot, await freePort()),
    CONNEXA_SANDBOX_DELIVER_MS: '20',
    CONNEXA_SANDBOX_READ_MS: '40',
  };
  const log = path.join(tmpRoot, 'gateway.log');
  const server = new Server(env, log);
  const m = machine();
  console.log(
    `crash harness: ${opts.kills} SIGKILLs during ${opts.duration} s of sends, ${opts.senders} senders,` +
      ` ${opts.instances} sandbox instance(s); ${m.nproc} CPUs, ${m.cpu}, Node ${m.node}`,
  );

  await server.start();
  const tenants = [];
  for (let i = 0; i < opts.instances; i++) tenants.push(await createTenant(server.base, env.CONNEXA_ADMIN_TOKEN, `crash-${i + 1}`));

  const runId = randomBytes(4).toString('hex');
  const senders = startSenders(server.base, tenants, opts.senders, runId);
  const started = Date.now();
  let sendingMs = 0; // time the gate was open
  const kills = [];
  try {
    for (let k = 1; k <= opts.kills; k++) {
      const gap = 500 + Math.random() * 2_000;
      await sleep(gap);
      sendingMs += gap;
      if (!server.alive()) throw new Error(`gateway exited on its own:\n${tail(log)}`);
      senders.close();
      const ackedBefore = senders.counts.acked;
      const unansweredBefore = senders.counts.unanswered;
      await server.kill();
      const restartMs = await server.start();
      // Every request in flight at the kill has failed by now (its connection died with the server).
      const cut = senders.counts.unanswered - unansweredBefore;
      kills.push({ atMs: sendingMs, ackedBefore, cut, restartMs });
      console.log(
        `kill ${k}/${opts.kills} after ${(sendingMs / 1000).toFixed(1)} s of sending: ${cut} request(s) cut,` +
          ` ${fmtInt(ackedBefore)} acknowledged so far; ready again in ${restartMs} ms`,
      );
      senders.open();
    }
    const rest = Math.max(1_000, opts.duration * 1000 - sendingMs);
    await sleep(rest);
    sendingMs += rest;
  } finally {
    await senders.stop();
  }
  if (!server.alive()) throw new Error(`gateway exited on its own:\n${tail(log)}`);
  const c = senders.counts;
  console.log(
    `sending stopped after ${((Date.now() - started) / 1000).toFixed(1)} s: ${fmtInt(c.attempted)} requests,` +
      ` ${fmtInt(c.acked)} acknowledged, ${c.unanswered} without an answer, ${c.refused} refused, ${c.rejected} rejected`,
  );

  const settled = await settle(server.base, tenants, senders);
  console.log(
    `acknowledged messages by status: ${JSON.stringify(settled.byStatus)}` +
      (settled.unsettled > 0 ? `; ${settled.unsettled} still not sent after ${SETTLE_LIMIT_MS / 1000} s` : ''),
  );
  const entries = await stableInbox(server.base, tenants);
  const result = analyse(entries, senders);
  await stop(server.child);

  const line =
    `crash: ${opts.kills} kills, ${fmtInt(c.acked)} acknowledged, ${result.lost.length} lost,` +
    ` ${result.duplicated} duplicated, ${result.deliveredUnanswered} delivered without an answer` +
    ` (of ${c.unanswered} unanswered)`;
  const ok = c.acked > 0 && result.lost.length === 0 && result.duplicated === 0 && result.wrongText === 0 && result.unexpected === 0;
  console.log(
    `sandbox inbox: ${fmtInt(result.entries)} entries; ${fmtInt(result.resends)} resends under the same provider id` +
      ' (a message handed to the engine again after a kill, absorbed like WhatsApp does)',
  );
  if (result.lost.length > 0) console.log(`lost message_ids (first 10): ${result.lost.slice(0, 10).join(', ')}`);
  if (result.wrongText > 0) console.log(`${result.wrongText} acknowledged message(s) arrived with another text`);
  if (result.unexpected > 0) console.log(`${result.unexpected} inbox entries from requests that were refused, rejected or never sent`);
  if (c.acked === 0) console.log('no request was acknowledged: nothing was checked');
  if (opts.write) {
    writeSection('crash', docSection(opts, m, kills, senders, settled, result, line, ok));
    console.log(`wrote ${path.relative(process.cwd(), DOC) || DOC}`);
  }
  console.log(line);
  if (!ok) process.exitCode = 1;
}

main().catch((err) => {
  console.error(`crash harness failed: ${err instanceof Error ? err.message : String(err)}`);
  process.exitCode = 1;
  cleanup();
});
