/**
 * What `cloud` instances keep (migration 013): the account of each instance
 * (secrets already sealed by the caller), the message ids Graph answered for
 * each send, and the statuses Meta reported, once per (wamid, status).
 */
import type { Store } from './database.js';

export interface CloudAccountRow {
  instance_id: string;
  phone_number_id: string;
  graph_url: string;
  graph_version: string;
  throughput: number;
  access_token: Buffer;
  app_secret: Buffer;
  verify_token: Buffer;
  updated_at: number;
}

export interface CloudSendRow {
  messageId: string;
  wamid: string;
  part: number;
  waId: string | null;
}

export interface CloudStatusRow {
  wamid: string;
  status: string;
  at: number;
  error_code: number | null;
  error_reason: string | null;
}

/** A status joined with the message it is about (statuses of a message's later parts are left out). */
export interface MatchedStatus extends CloudStatusRow {
  message_id: string;
}

const ACCOUNT = `SELECT * FROM cloud_accounts WHERE instance_id = ?`;
const INSERT_ACCOUNT = `INSERT INTO cloud_accounts (instance_id, phone_number_id, graph_url, graph_version, throughput, access_token, app_secret,
  verify_token, updated_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)`;
const UPDATE_ACCOUNT = `UPDATE cloud_accounts SET phone_number_id = ?, graph_url = ?, graph_version = ?, throughput = ?, access_token = ?,
  app_secret = ?, verify_token = ?, updated_at = ? WHERE instance_id = ?`;
const INSERT_SEND = `INSERT INTO cloud_sends (instance_id, wamid, message_id, part, wa_id, sent_at) VALUES (?, ?, ?, ?, ?, ?)
  ON CONFLICT (instance_id, wamid) DO NOTHING`;
// The message shows Meta's id from the moment Graph answered (its statuses may be applied before the send's outcome is).
const SET_PROVIDER = `UPDATE messages SET provider_id = COALESCE(provider_id, ?) WHERE id = ? AND instance_id = ?`;
const INSERT_STATUS = `INSERT INTO cloud_statuses (instance_id, wamid, status, at, error_code, error_reason, received_at)
  VALUES (?, ?, ?, ?, ?, ?, ?) ON CONFLICT (instance_id, wamid, status) DO NOTHING`;
const MATCHED = `SELECT s.wamid, s.status, s.at, s.error_code, s.error_reason, c.message_id FROM cloud_statuses s
  JOIN cloud_sends c ON c.instance_id = s.instance_id AND c.wamid = s.wamid AND c.part = 0
  WHERE s.instance_id = ? AND s.wamid = ?`;
const PARTS = `SELECT part, wamid FROM cloud_sends WHERE message_id = ? AND instance_id = ? ORDER BY part`;
const PRUNE_STATUSES = `DELETE FROM cloud_statuses WHERE received_at < ?`;
const PRUNE_SENDS = `DELETE FROM cloud_sends WHERE sent_at < ?`;

export class CloudStatements {
  constructor(private readonly store: Store) {}

  account(instanceId: string): Promise<CloudAccountRow | undefined> {
    return this.store.sql.get<CloudAccountRow>(ACCOUNT, [instanceId]);
  }

  /** Writes the account of a new instance, or replaces the account of an existing one. */
  saveAccount(a: CloudAccountRow): Promise<void> {
    return this.store.writeTx(true, async (tx) => {
      const values = [a.phone_number_id, a.graph_url, a.graph_version, a.throughput, a.access_token, a.app_secret, a.verify_token, a.updated_at];
      if ((await tx.run(UPDATE_ACCOUNT, [...values, a.instance_id])) === 0) await tx.run(INSERT_ACCOUNT, [a.instance_id, ...values]);
    });
  }

  /**
   * Records the wamids Graph answered for a message (durably: the statuses that
   * follow are matched through them) and resolves to the statuses that arrived
   * before this record, to be applied now.
   */
  async recordSend(instanceId: string, parts: CloudSendRow[], at: number): Promise<MatchedStatus[]> {
    await this.store.writeTx(true, async (tx) => {
      for (const p of parts) {
        await tx.run(INSERT_SEND, [instanceId, p.wamid, p.messageId, p.part, p.waId, at]);
        if (p.part === 0) await tx.run(SET_PROVIDER, [p.wamid, p.messageId, instanceId]);
      }
    });
    const first = parts.find((p) => p.part === 0);
    return first === undefined ? [] : this.matched(instanceId, [first.wamid]);
  }

  /**
   * Keeps statuses from Meta (a repeat of the same wamid and status changes
   * nothing) and resolves to those whose send is known, to be applied now; the
   * rest wait for `recordSend`.
   */
  async recordStatuses(instanceId: string, statuses: CloudStatusRow[], receivedAt: number): Promise<MatchedStatus[]> {
    await this.store.writeTx(true, async (tx) => {
      for (const s of statuses) await tx.run(INSERT_STATUS, [instanceId, s.wamid, s.status, s.at, s.error_code, s.error_reason, receivedAt]);
    });
    return this.matched(instanceId, [...new Set(statuses.map((s) => s.wamid))]);
  }

  /** The parts of a message Graph already took (a retry sends only the rest), by part number. */
  async sentParts(instanceId: string, messageId: string): Promise<Map<number, string>> {
    const rows = await this.store.sql.all<{ part: number; wamid: string }>(PARTS, [messageId, instanceId]);
    return new Map(rows.map((r) => [Number(r.part), r.wamid]));
  }

  /** The statuses kept for a message's first part (applying them again changes nothing). */
  statusesOf(instanceId: string, wamid: string): Promise<MatchedStatus[]> {
    return this.matched(instanceId, [wamid]);
  }

  private async matched(instanceId: string, wamids: string[]): Promise<MatchedStatus[]> {
    const out: MatchedStatus[] = [];
    for (const w of wamids) out.push(...(await this.store.sql.all<MatchedStatus>(MATCHED, [instanceId, w])));
    return out.map((r) => ({ ...r, at: Number(r.at) }));
  }

  /** Forgets statuses and sends older than `before` (statuses of messages not ours wait here until then). */
  prune(before: number): Promise<number> {
    return this.store.writeTx(false, async (tx) => (await tx.run(PRUNE_STATUSES, [before])) + (await tx.run(PRUNE_SENDS, [before])));
  }
}
