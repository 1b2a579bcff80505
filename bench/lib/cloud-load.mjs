// The client side of bench/cloud.mjs: accept N text messages through the real HTTP
// API (recipients round-robin, each text carrying its index), then read their
// statuses until every one is `sent` or later (or `failed`), and then, briefly,
// until every one is `read`. Bounded loops only.
import { api, mapLimit } from './pressure.mjs';
import { sleep } from './processes.mjs';

const SENT_OR_LATER = new Set(['sent', 'delivered', 'read']);
const FULL_PASS_MS = 15_000;

/** The recipient of message `i`: 13 digits, 5544998 + six. */
export const phoneOf = (i, recipients) => `5544998${String(i % recipients).padStart(6, '0')}`;

/**
 * One send as a client would make it: an `Idempotency-Key` (so a retry after no answer
 * cannot make a second message), retried (≤ 5 attempts) after no answer or a 503.
 * Counts each retry by cause in `retried`. Returns {status, json, text}.
 */
async function sendOnce(base, auth, i, body, retried) {
  let r;
  for (let attempt = 1; attempt <= 5; attempt++) {
    r = await fetch(`${base}/api/v1/message/text`, {
      method: 'POST',
      headers: { authorization: auth, 'content-type': 'application/json', 'idempotency-key': `cloud-bench-${i}` },
      body: JSON.stringify(body),
      signal: AbortSignal.timeout(30_000),
    }).then(
      async (res) => ({ status: res.status, text: await res.text(), retryAfterS: Number(res.headers.get('retry-after') ?? 1) }),
      (err) => ({ status: 'no answer', text: String(err.cause?.code ?? err.cause?.message ?? err.message), retryAfterS: 0.2 }),
    );
    if (r.status !== 503 && r.status !== 'no answer') break;
    retried[r.status]++;
    if (attempt < 5) await sleep(Math.min(5, r.retryAfterS || 1) * 1000);
  }
  let json;
  try {
    json = JSON.parse(r.text);
  } catch {
    json = undefined;
  }
  return { ...r, json };
}

/**
 * Accepts `messages` texts over `recipients` recipients with `concurrency` requests in
 * flight. Returns {startedAt, acceptedAt, doneAt, sent: [{i, id}], refused: [{i, status, text}], retried}.
 */
export async function acceptAll(base, auth, { messages, recipients, concurrency }) {
  const startedAt = Date.now();
  let acceptedAt;
  const sent = [];
  const refused = [];
  const retried = { 503: 0, 'no answer': 0 };
  await mapLimit(
    Array.from({ length: messages }, (_, i) => i),
    concurrency,
    async (i) => {
      const phone = phoneOf(i, recipients);
      const r = await sendOnce(base, auth, i, { phone, data: { text: `cloud bench #${i} to ${phone}` } }, retried);
      if (r.status === 200 && typeof r.json?.message_id === 'string') {
        acceptedAt ??= Date.now();
        sent.push({ i, id: r.json.message_id });
      } else refused.push({ i, status: r.status, text: r.text.slice(0, 200) });
    },
  );
  return { startedAt, acceptedAt, doneAt: Date.now(), sent, refused, retried };
}

/**
 * Reads statuses (GET /api/v1/message/{id}) of the messages in `sent` until `done`
 * holds for each or `until` passes. Between full passes (every 15 s) only the
 * messages the fake has already taken are read, so polling does not load the gateway
 * while it is still sending. Returns whether every message got there.
 */
async function pollUntil(base, auth, fake, sent, states, done, until, intervalMs) {
  let lastFull = Date.now();
  while (Date.now() < until) {
    const atFake = new Map((await fake.call('counts')).counts);
    const full = Date.now() - lastFull >= FULL_PASS_MS;
    if (full) lastFull = Date.now();
    const check = sent.filter((s) => !done(states.get(s.id)) && (full || atFake.has(s.i)));
    await mapLimit(check, 16, async (s) => {
      const r = await api(base, 'GET', `/api/v1/message/${s.id}`, { auth, timeoutMs: 30_000 });
      if (r.status === 200 && r.json !== undefined) states.set(s.id, r.json);
    });
    if (sent.every((s) => done(states.get(s.id)))) return true;
    await sleep(intervalMs);
  }
  return false;
}

/**
 * Waits (≤ deadlineMs) for every message to be `sent` or later or `failed`, then (≤ readGraceMs
 * more) for every one to be `read` or `failed`. Returns {states: Map id → status JSON,
 * allSentAt (ms, or undefined when the deadline passed first), allRead}.
 */
export async function settle(base, auth, fake, sent, { deadlineMs, readGraceMs = 30_000 }) {
  const states = new Map();
  const sentOrFailed = (s) => s !== undefined && (SENT_OR_LATER.has(s.status) || s.status === 'failed');
  const readOrFailed = (s) => s !== undefined && (s.status === 'read' || s.status === 'failed');
  const allSent = await pollUntil(base, auth, fake, sent, states, sentOrFailed, Date.now() + deadlineMs, 2_000);
  const allSentAt = allSent ? Date.now() : undefined;
  const allRead = allSent && (await pollUntil(base, auth, fake, sent, states, readOrFailed, Date.now() + readGraceMs, 1_000));
  return { states, allSentAt, allRead };
}

/** Final statuses: {status → count}, failure codes {code → count}, lost (not sent or later). */
export function tally(sent, states) {
  const statuses = {};
  const failures = {};
  let lost = 0;
  for (const { id } of sent) {
    const s = states.get(id);
    const status = s?.status ?? 'unknown';
    statuses[status] = (statuses[status] ?? 0) + 1;
    if (!SENT_OR_LATER.has(status)) lost++;
    if (status === 'failed') failures[s.error?.code ?? 'unknown'] = (failures[s.error?.code ?? 'unknown'] ?? 0) + 1;
  }
  return { statuses, failures, lost };
}
