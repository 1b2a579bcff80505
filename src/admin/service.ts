/**
 * Creating users and instances: shared by the admin API, the CLI and the
 * first-start demo. Tokens are returned once, here, and stored only hashed.
 */
import { randomUUID } from 'node:crypto';
import { fieldError } from '../domain/errors.js';
import { generateToken, hashToken } from '../domain/tokens.js';
import type { EngineName } from '../engines/engine.js';
import { parseInstanceConfig } from '../domain/instance-config.js';
import type { Db } from '../store/database.js';
import { deleteInstance, getInstance, insertInstance, replaceTokenHash } from '../store/instances.js';
import { parseCloudConfig, parseCloudFields, type CloudSettings } from '../domain/cloud-config.js';
import { insertUser, userExists } from '../store/users.js';
import { ApiError } from '../domain/errors.js';

export interface CreatedInstance {
  user_id: string;
  instance_id: string;
  instance_token: string;
  name: string;
  engine: EngineName;
}

/** The Cloud API accounts of `cloud` instances (engines/cloud/accounts.ts), as the admin use cases need them. */
export interface CloudAccountsPort {
  /** Stores a new or replaced account; resolves to what may be shown of it (no secret). */
  save(instanceId: string, settings: CloudSettings): Promise<object>;
  /** The account as stored now (never a copy kept in memory: a replacement builds on it). */
  stored(instanceId: string): Promise<CloudSettings | undefined>;
  /** The settings were replaced: a new token is tried at once, waiting messages go. */
  replaced(instanceId: string): Promise<void>;
}

function checkName(name: unknown, field: string): string {
  if (typeof name !== 'string' || name.trim() === '') throw fieldError(field, 'name_required', `${field} is required`);
  const trimmed = name.trim();
  if (trimmed.length > 100) throw fieldError(field, 'name_too_long', `${field} must be at most 100 characters`);
  if (/[\u0000-\u001f\u007f]/.test(trimmed)) throw fieldError(field, 'invalid_name', `${field} must not contain control characters`);
  return trimmed;
}

export class AdminService {
  constructor(
    private readonly db: Db,
    /** The engines instances may be created for (those this build runs). */
    private readonly engines: readonly EngineName[],
    private readonly now: () => number = Date.now,
    /** Told of each new instance, awaited (a cluster: a node takes its lease before the creation is answered). */
    private readonly created: (instanceId: string) => Promise<void> | void = () => {},
    private readonly cloud?: CloudAccountsPort,
  ) {}

  async createUser(name: unknown): Promise<{ user_id: string; name: string }> {
    const clean = checkName(name, 'name');
    const id = randomUUID();
    await insertUser(this.db, { id, name: clean, createdAt: this.now() });
    return { user_id: id, name: clean };
  }

  async createInstance(userId: string, name: unknown, engine: unknown, config?: unknown): Promise<CreatedInstance> {
    const clean = checkName(name, 'name');
    if (typeof engine !== 'string' || engine === '') throw fieldError('engine', 'engine_required', `engine is required: one of ${this.engines.join(', ')}`);
    const known = this.engines.find((e) => e === engine);
    if (known === undefined) throw fieldError('engine', 'unknown_engine', `Unknown engine "${engine.slice(0, 40)}"; available: ${this.engines.join(', ')}`);
    // A cloud instance's config is its Cloud API account (secrets sealed apart); the others' is pacing.
    const cloud = known === 'cloud' ? parseCloudConfig(config) : undefined;
    const settings = cloud === undefined ? parseInstanceConfig(config) : undefined;
    if (cloud !== undefined && this.cloud === undefined) throw fieldError('engine', 'unknown_engine', 'The cloud engine does not run here');
    if (!(await userExists(this.db, userId))) throw new ApiError(404, 'user_not_found', 'No user with this user_id exists');
    const token = generateToken();
    const id = randomUUID();
    await insertInstance(this.db, {
      id,
      userId,
      name: clean,
      engine: known,
      tokenHash: hashToken(token),
      createdAt: this.now(),
      config: settings === undefined ? null : JSON.stringify(settings),
    });
    if (cloud !== undefined) {
      try {
        await this.cloud?.save(id, cloud);
      } catch (err) {
        // No instance without its account.
        await deleteInstance(this.db, id);
        throw err;
      }
    }
    await this.created(id);
    return { user_id: userId, instance_id: id, instance_token: token, name: clean, engine: known };
  }

  /** A new token for the instance, shown once; the old one stops working at once. */
  async rotateToken(instanceId: string): Promise<{ instance_id: string; instance_token: string }> {
    const token = generateToken();
    if (!(await replaceTokenHash(this.db, instanceId, hashToken(token))))
      throw new ApiError(404, 'instance_not_found', 'No instance with this instance_id exists');
    return { instance_id: instanceId, instance_token: token };
  }

  /** Replaces some settings of a cloud instance (a new access token, say); the others stay. */
  async updateConfig(instanceId: string, config: unknown): Promise<{ instance_id: string; engine: string; config: object }> {
    const instance = await getInstance(this.db, instanceId);
    if (instance === undefined) throw new ApiError(404, 'instance_not_found', 'No instance with this instance_id exists');
    const current = this.cloud === undefined || instance.engine !== 'cloud' ? undefined : await this.cloud.stored(instanceId);
    if (this.cloud === undefined || current === undefined) {
      throw new ApiError(409, 'config_not_changeable', `The config of a ${instance.engine} instance cannot be changed; only cloud instances' can`);
    }
    const given = parseCloudFields(config ?? {});
    if (Object.keys(given).length === 0)
      throw fieldError('config', 'config_required', 'Give at least one setting to change, e.g. {"config": {"access_token": "..."}}');
    const view = await this.cloud.save(instanceId, { ...current, ...given });
    await this.cloud.replaced(instanceId);
    return { instance_id: instanceId, engine: instance.engine, config: view };
  }
}
