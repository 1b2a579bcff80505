// Reads the gateway's SQLite file (read-only, while or after it runs) for the
// dispatch benchmark: whether the dispatcher has caught up, and per message
// the time it was accepted (messages.created_at, set as the request is
// accepted) and the time the sandbox engine was handed it (sandbox_inbox.received_at,
// taken as engine.send starts). Both are Date.now() of the gateway process, in ms.
import Database from 'better-sqlite3';
import { sleep } from './processes.mjs';
import { percentile } from './stats.mjs';

function open(file) {
  return new Database(file, { readonly: true, fileMustExist: true });
}

/** Waits until every accepted message has left the outbox; returns false on timeout. */
export async function waitDrained(file, timeoutMs) {
  const db = open(file);
  try {
    const q = db.prepare(`SELECT (SELECT COUNT(*) FROM outbox) AS pending,
      (SELECT COALESCE(MAX(seq), 0) FROM messages) AS accepted,
      (SELECT COALESCE(MAX(seq), 0) FROM dispatch_cursor WHERE name = 'outbox') AS ingested`);
    const deadline = Date.now() + timeoutMs;
    while (Date.now() < deadline) {
      const r = q.get();
      if (r.pending === 0 && r.ingested === r.accepted) return true;
      await sleep(200);
    }
    return false;
  } finally {
    db.close();
  }
}

// The load generator numbers its sends in the text ("... #i"); the measured ones are i >= warm.
const MEASURED = `CAST(substr(m.text, instr(m.text, '#') + 1) AS INTEGER) >= ?`;

/** Dispatch latency (accept → engine.send) and accept → sent of the measured sends (number >= `warm`). */
export function dispatchStats(file, warm) {
  const db = open(file);
  try {
    const byStatus = Object.fromEntries(
      db
        .prepare(`SELECT status, COUNT(*) AS n FROM messages m WHERE instr(m.text, '#') > 0 AND ${MEASURED} GROUP BY status`)
        .all(warm)
        .map((r) => [r.status, r.n]),
    );
    const accepted = Object.values(byStatus).reduce((a, n) => a + n, 0);
    const rows = db
      .prepare(
        `SELECT i.received_at - m.created_at AS dispatch, m.sent_at - m.created_at AS sent,
         (SELECT MIN(e.at) FROM message_events e WHERE e.message_id = m.id AND e.kind = 'sending') - m.created_at AS claimed
       FROM sandbox_inbox i JOIN messages m ON m.id = i.message_id
       WHERE i.part = 0 AND instr(m.text, '#') > 0 AND ${MEASURED}`,
      )
      .all(warm);
    const dispatch = rows.map((r) => r.dispatch).sort((a, b) => a - b);
    const sent = rows
      .filter((r) => r.sent !== null)
      .map((r) => r.sent)
      .sort((a, b) => a - b);
    const claimed = rows
      .filter((r) => r.claimed !== null)
      .map((r) => r.claimed)
      .sort((a, b) => a - b);
    return {
      accepted,
      byStatus,
      dispatched: dispatch.length,
      p50: percentile(dispatch, 0.5),
      p90: percentile(dispatch, 0.9),
      p99: percentile(dispatch, 0.99),
      p999: percentile(dispatch, 0.999),
      max: dispatch[dispatch.length - 1] ?? Number.NaN,
      claimedP50: percentile(claimed, 0.5),
      claimedP99: percentile(claimed, 0.99),
      sentP50: percentile(sent, 0.5),
      sentP99: percentile(sent, 0.99),
    };
  } finally {
    db.close();
  }
}
