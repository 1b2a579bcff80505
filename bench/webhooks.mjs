// Webhook isolation: 1,000 message.sent events across 100 instances, one of whose
// receivers answers slowly (2 s). Measures how long the other 99 instances' events
// take from creation to arrival, to show a slow endpoint delays no one else.
//   node bench/webhooks.mjs [--write]
import fs from 'node:fs';
import http from 'node:http';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const DOC = path.join(ROOT, 'docs/BENCHMARKS.md');
const BEGIN = '<!-- webhooks:begin -->';
const END = '<!-- webhooks:end -->';
const INSTANCES = 100;
const PER_INSTANCE = 10;
const SLOW_MS = 2000;
const ADMIN = 'bench-admin-token-0123456789abcdef';

const dist = path.join(ROOT, 'dist/gateway.js');
if (!fs.existsSync(dist)) {
  console.error('dist/ is missing: run `npm run build` first.');
  process.exit(1);
}
const { startGateway } = await import(dist);
const { loadConfig } = await import(path.join(ROOT, 'dist/config.js'));
const { createLogger } = await import(path.join(ROOT, 'dist/log.js'));

const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'connexa-webhook-bench-'));
const arrivals = []; // { instance, latencyMs }
const receiver = http.createServer((req, res) => {
  let body = '';
  req.on('data', (c) => (body += c));
  req.on('end', () => {
    const at = Date.now();
    const instance = Number(req.url.split('/')[2]);
    const e = JSON.parse(body);
    arrivals.push({ instance, latencyMs: at - Date.parse(e.created_at) });
    if (instance === 0) setTimeout(() => res.writeHead(200).end(), SLOW_MS);
    else res.writeHead(200).end();
  });
});
await new Promise((r) => receiver.listen(0, '127.0.0.1', r));
const hookBase = `http://127.0.0.1:${receiver.address().port}/hook`;

const config = loadConfig({
  CONNEXA_PORT: '0',
  CONNEXA_HOST: '127.0.0.1',
  CONNEXA_DATABASE_URL: `sqlite:${path.join(dir, 'db.sqlite')}`,
  CONNEXA_ADMIN_TOKEN: ADMIN,
  CONNEXA_DEMO: 'false',
  CONNEXA_LOG_LEVEL: 'silent',
  CONNEXA_WEBHOOK_ALLOW_PRIVATE_NETWORKS: 'true',
  CONNEXA_WEBHOOK_POLL_MS: '20',
  CONNEXA_SANDBOX_DELIVER_MS: '600000',
  CONNEXA_SANDBOX_READ_MS: '600000',
});
const gateway = await startGateway(config, { logger: createLogger('silent'), print: () => {} });
const api = async (method, p, body, auth) => {
  const res = await fetch(gateway.url + p, {
    method,
    headers: { authorization: auth, 'content-type': 'application/json' },
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  return res.json();
};
try {
  const tenants = [];
  for (let i = 0; i < INSTANCES; i++) {
    const u = await api('POST', '/api/v1/admin/users', { name: `b${i}` }, `Bearer ${ADMIN}`);
    const inst = await api('POST', `/api/v1/admin/users/${u.user_id}/instances`, { name: 'b', engine: 'sandbox' }, `Bearer ${ADMIN}`);
    const auth = `Basic ${Buffer.from(`${u.user_id}:${inst.instance_token}`).toString('base64')}`;
    await api('PUT', '/api/v1/instance/webhook', { url: `${hookBase}/${i}`, events: ['message.sent'] }, auth);
    tenants.push(auth);
  }
  const started = Date.now();
  await Promise.all(
    tenants.map(async (auth, i) => {
      for (let k = 0; k < PER_INSTANCE; k++)
        await api('POST', '/api/v1/message/text', { phone: `55449${String(i).padStart(3, '0')}${String(k).padStart(4, '0')}`, data: { text: 'x' } }, auth);
    }),
  );
  const fastTotal = (INSTANCES - 1) * PER_INSTANCE;
  const deadline = Date.now() + 60_000;
  while (arrivals.filter((a) => a.instance !== 0).length < fastTotal && Date.now() < deadline) await new Promise((r) => setTimeout(r, 50));
  const fastDone = Date.now() - started;
  const fast = arrivals
    .filter((a) => a.instance !== 0)
    .map((a) => a.latencyMs)
    .sort((a, b) => a - b);
  const slow = arrivals.filter((a) => a.instance === 0);
  const q = (xs, p) => xs[Math.min(xs.length - 1, Math.floor(xs.length * p))] ?? NaN;
  const line =
    `webhooks: ${fast.length}/${fastTotal} events of 99 fast instances delivered in ${fastDone} ms; ` +
    `latency from event to arrival p50 ${q(fast, 0.5)} ms, p99 ${q(fast, 0.99)} ms, max ${fast[fast.length - 1]} ms; ` +
    `the slow receiver (${SLOW_MS} ms per answer) had ${slow.length}/${PER_INSTANCE} by then`;
  console.log(line);
  if (process.argv.includes('--write')) {
    const section = `${BEGIN}
## Webhooks: a slow receiver delays no one else

\`node bench/webhooks.mjs --write\` (${new Date().toISOString().slice(0, 19).replace('T', ' ')} UTC, ${os.cpus().length} CPUs, Node ${process.version}):
${INSTANCES} sandbox instances, each with its own webhook endpoint, ${PER_INSTANCE} messages each (${INSTANCES * PER_INSTANCE} \`message.sent\`
events); instance 0's receiver answers after ${SLOW_MS} ms, the others at once. Deliveries are one at a time per
endpoint and in parallel across endpoints, so instance 0's queue grows while the rest flow.

- ${line}
${END}`;
    let text = fs.readFileSync(DOC, 'utf8');
    const b = text.indexOf(BEGIN);
    const e = text.indexOf(END);
    text = b >= 0 && e > b ? text.slice(0, b) + section + text.slice(e + END.length) : `${text.trimEnd()}\n\n${section}\n`;
    fs.writeFileSync(DOC, text);
    console.log('wrote docs/BENCHMARKS.md');
  }
} finally {
  await gateway.stop();
  receiver.closeAllConnections();
  receiver.close();
  fs.rmSync(dir, { recursive: true, force: true });
}
