// Shared by bench/crash.mjs and bench/idle-memory.mjs: JSON calls to the gateway's
// HTTP API, bench tenants through the admin API, a bounded-concurrency map, and the
// lines that describe the machine in their docs/BENCHMARKS.md sections.
import fs from 'node:fs';
import os from 'node:os';
import { DOC } from './constants.mjs';

export const fmtInt = (n) => Math.round(n).toLocaleString('en-US');

/** The markers around a script's own section of docs/BENCHMARKS.md. */
export const markers = (name) => ({ begin: `<!-- ${name}:begin -->`, end: `<!-- ${name}:end -->` });

/**
 * Replaces the `name` section of docs/BENCHMARKS.md (`section` includes its
 * markers); appends it when the markers are missing. Other sections are untouched.
 */
export function writeSection(name, section) {
  const { begin, end } = markers(name);
  let text = fs.existsSync(DOC) ? fs.readFileSync(DOC, 'utf8') : '# Benchmarks\n';
  const b = text.indexOf(begin);
  const e = text.indexOf(end, b);
  text = b >= 0 && e > b ? `${text.slice(0, b)}${section}${text.slice(e + end.length)}` : `${text.trimEnd()}\n\n${section}\n`;
  fs.writeFileSync(DOC, text);
}

export const basicAuth = (user, password) => `Basic ${Buffer.from(`${user}:${password}`).toString('base64')}`;

/** One JSON call; resolves {status, json} (json undefined if the body is not JSON). Network errors throw. */
export async function api(base, method, urlPath, { auth, body, timeoutMs = 10_000 } = {}) {
  const headers = { accept: 'application/json' };
  if (auth !== undefined) headers.authorization = auth;
  if (body !== undefined) headers['content-type'] = 'application/json';
  const res = await fetch(`${base}${urlPath}`, {
    method,
    headers,
    body: body === undefined ? undefined : JSON.stringify(body),
    signal: AbortSignal.timeout(timeoutMs),
  });
  const text = await res.text();
  let json;
  try {
    json = JSON.parse(text);
  } catch {
    json = undefined;
  }
  return { status: res.status, json, text };
}

/** Creates a user and a sandbox instance through the admin API; returns {userId, instanceId, auth}. */
export async function createTenant(base, adminToken, name) {
  const admin = `Bearer ${adminToken}`;
  const user = await api(base, 'POST', '/api/v1/admin/users', { auth: admin, body: { name } });
  if (user.status !== 201 || typeof user.json?.user_id !== 'string') {
    throw new Error(`POST /api/v1/admin/users answered HTTP ${user.status}: ${user.text.slice(0, 300)}`);
  }
  const inst = await api(base, 'POST', `/api/v1/admin/users/${user.json.user_id}/instances`, {
    auth: admin,
    body: { name, engine: 'sandbox' },
  });
  if (inst.status !== 201 || typeof inst.json?.instance_token !== 'string') {
    throw new Error(`POST .../instances answered HTTP ${inst.status}: ${inst.text.slice(0, 300)}`);
  }
  return { userId: user.json.user_id, instanceId: inst.json.instance_id, auth: basicAuth(user.json.user_id, inst.json.instance_token) };
}

/** Runs fn over items with at most `limit` calls in flight; results in input order. */
export async function mapLimit(items, limit, fn) {
  const out = new Array(items.length);
  let next = 0;
  const worker = async () => {
    while (next < items.length) {
      const i = next++;
      out[i] = await fn(items[i], i);
    }
  };
  await Promise.all(Array.from({ length: Math.max(1, Math.min(limit, items.length)) }, worker));
  return out;
}

/** Every entry of a sandbox instance's inbox (GET /api/v1/sandbox/messages, cursor paging, bounded). */
export async function readInbox(base, auth, maxPages = 10_000) {
  const entries = [];
  let cursor = null;
  for (let page = 0; page < maxPages; page++) {
    const q = cursor === null ? '' : `&cursor=${encodeURIComponent(cursor)}`;
    const r = await api(base, 'GET', `/api/v1/sandbox/messages?limit=1000${q}`, { auth, timeoutMs: 30_000 });
    if (r.status !== 200 || !Array.isArray(r.json?.messages)) {
      throw new Error(`GET /api/v1/sandbox/messages answered HTTP ${r.status}: ${r.text.slice(0, 300)}`);
    }
    entries.push(...r.json.messages);
    cursor = r.json.next_cursor ?? null;
    if (cursor === null) return entries;
  }
  throw new Error(`sandbox inbox has more than ${maxPages} pages`);
}

/** Markdown bullets: date, machine, Node, code, load, the command line. `m` is report.mjs machine(). */
export function machineLines(m, command) {
  const load = os
    .loadavg()
    .map((x) => x.toFixed(2))
    .join(' / ');
  return [
    `- Date: ${m.date}`,
    `- Machine: ${m.nproc} CPUs (\`nproc\`), ${m.cpu}, ${Math.round(os.totalmem() / 2 ** 30)} GiB RAM; ${m.os};` +
      ` load average ${load} (1/5/15 min) at the end${os.loadavg()[0] > 1.5 ? ': the machine was busy with other work while measuring' : ''}`,
    `- Node ${m.node}; code: commit ${m.commit}${m.dirty ? ' with uncommitted changes in src/ (others were editing)' : ''}`,
    `- Run: \`${command}\``,
  ].join('\n');
}
