/**
 * The Cloud API accounts of `cloud` instances: settings with the access
 * token, app secret and verify token sealed at rest (each bound to its
 * instance and field), opened when needed and kept in memory for a short
 * while (another node may replace a token; `forget` drops one at once).
 * The public view never holds a secret.
 */
import { LRUCache } from 'lru-cache';
import type { Sealer } from '../../crypto/sealer.js';
import type { CloudSettings } from '../../domain/cloud-config.js';
import type { CloudAccountRow, CloudStatements } from '../../store/cloud.js';

/** What an API may show of an account: no secret. */
export interface CloudAccountView {
  phone_number_id: string;
  graph_url: string;
  graph_version: string;
  throughput: number;
  updated_at: string;
}

const SECRETS = ['accessToken', 'appSecret', 'verifyToken'] as const;
const CACHE_MS = 30_000;

export class CloudAccounts {
  private readonly cache: LRUCache<string, CloudSettings>;

  constructor(
    private readonly rows: CloudStatements,
    private readonly sealer: Sealer,
    private readonly now: () => number = Date.now,
  ) {
    this.cache = new LRUCache({ max: 10_000, ttl: CACHE_MS });
  }

  private context(instanceId: string, field: (typeof SECRETS)[number]): string {
    return `cloud/${instanceId}/${field}`;
  }

  async save(instanceId: string, s: CloudSettings): Promise<CloudAccountView> {
    const row: CloudAccountRow = {
      instance_id: instanceId,
      phone_number_id: s.phoneNumberId,
      graph_url: s.graphUrl,
      graph_version: s.graphVersion,
      throughput: s.throughput,
      access_token: this.sealer.seal(s.accessToken, this.context(instanceId, 'accessToken')),
      app_secret: this.sealer.seal(s.appSecret, this.context(instanceId, 'appSecret')),
      verify_token: this.sealer.seal(s.verifyToken, this.context(instanceId, 'verifyToken')),
      updated_at: this.now(),
    };
    await this.rows.saveAccount(row);
    this.cache.set(instanceId, { ...s });
    return this.view(row);
  }

  /** The account of an instance, or undefined when it has none (not a cloud instance, or deleted). */
  async get(instanceId: string): Promise<CloudSettings | undefined> {
    const cached = this.cache.get(instanceId);
    if (cached !== undefined) return cached;
    const row = await this.rows.account(instanceId);
    if (row === undefined) return undefined;
    const open = (field: (typeof SECRETS)[number], sealed: Buffer): string => this.sealer.open(sealed, this.context(instanceId, field)).toString('utf8');
    const settings: CloudSettings = {
      phoneNumberId: row.phone_number_id,
      graphUrl: row.graph_url,
      graphVersion: row.graph_version,
      throughput: Number(row.throughput),
      accessToken: open('accessToken', row.access_token),
      appSecret: open('appSecret', row.app_secret),
      verifyToken: open('verifyToken', row.verify_token),
    };
    this.cache.set(instanceId, settings);
    return settings;
  }

  /** The account as read from the database next time (it was replaced or deleted). */
  forget(instanceId: string): void {
    this.cache.delete(instanceId);
  }

  forgetAll(): void {
    this.cache.clear();
  }

  private view(row: CloudAccountRow): CloudAccountView {
    return {
      phone_number_id: row.phone_number_id,
      graph_url: row.graph_url,
      graph_version: row.graph_version,
      throughput: Number(row.throughput),
      updated_at: new Date(Number(row.updated_at)).toISOString(),
    };
  }
}
