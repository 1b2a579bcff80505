// The client side of bench/idle-memory.mjs, in its own process so that nothing it
// holds is counted in the gateway's heap. One batch: create `create` users with one
// sandbox instance each (admin API), send one text per new instance (its auth
// cached, its lane and engine state made), then read the status of every instance's
// message so far (earlier batches too) until all are `read` (bounded).
//
//   node bench/lib/idle-client.mjs '{"base":…,"adminToken":…,"credsFile":…,"create":N,"concurrency":16}'
// Prints one JSON line: {created, instances, statuses, ms}.
import fs from 'node:fs';
import { api, createTenant, mapLimit } from './pressure.mjs';

const READ_LIMIT_MS = 120_000;
const DONE = new Set(['sent', 'delivered', 'read']);

const opts = JSON.parse(process.argv[2] ?? '{}');
const { base, adminToken, credsFile, create, concurrency = 16 } = opts;
// Without a credsFile (the warm-up) the batch stands alone and is forgotten afterwards.
const known = credsFile !== undefined && fs.existsSync(credsFile) ? JSON.parse(fs.readFileSync(credsFile, 'utf8')) : [];
const ms = {};
let t = Date.now();
const lap = (name) => {
  ms[name] = Date.now() - t;
  t = Date.now();
};

const fresh = await mapLimit(
  Array.from({ length: create }, (_, i) => known.length + i),
  concurrency,
  async (n) => ({ auth: (await createTenant(base, adminToken, `idle-${n}`)).auth }),
);
lap('create');
await mapLimit(fresh, concurrency, async (tenant, i) => {
  let r;
  // An overloaded gateway sheds sends (503) or limits them (429): back off and retry, a bounded number of times.
  for (let attempt = 1; attempt <= 20; attempt++) {
    r = await api(base, 'POST', '/api/v1/message/text', {
      auth: tenant.auth,
      body: { phone: '554490000001', data: { text: `idle ${known.length + i}` } },
    });
    if (r.status !== 503 && r.status !== 429) break;
    await new Promise((resolve) => setTimeout(resolve, 200 * attempt));
  }
  if (r.status !== 200 || typeof r.json?.message_id !== 'string') throw new Error(`send answered HTTP ${r.status}: ${r.text.slice(0, 300)}`);
  tenant.messageId = r.json.message_id;
});
lap('send');
const all = [...known, ...fresh];
if (credsFile !== undefined) fs.writeFileSync(credsFile, JSON.stringify(all));

// Every instance's message is looked at once (its credentials used again), then only those not yet read.
const status = new Map();
let pending = all;
const deadline = Date.now() + READ_LIMIT_MS;
while (pending.length > 0) {
  const got = await mapLimit(pending, concurrency, async (tenant) => {
    const r = await api(base, 'GET', `/api/v1/message/${tenant.messageId}`, { auth: tenant.auth });
    return r.status === 200 ? r.json.status : `HTTP ${r.status}`;
  });
  pending.forEach((tenant, i) => status.set(tenant.messageId, got[i]));
  pending = pending.filter((_, i) => got[i] !== 'read' && got[i] !== 'failed' && !got[i].startsWith('HTTP'));
  if (Date.now() > deadline) break;
  if (pending.length > 0) await new Promise((r) => setTimeout(r, 500));
}
lap('status');
const statuses = {};
for (const s of status.values()) statuses[s] = (statuses[s] ?? 0) + 1;
const settled = [...status.values()].filter((s) => DONE.has(s)).length;
process.stdout.write(`${JSON.stringify({ created: fresh.length, instances: all.length, settled, statuses, ms })}\n`);
