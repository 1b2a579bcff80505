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
import { insertInstance } from '../store/instances.js';
import { insertUser, userExists } from '../store/users.js';
import { ApiError } from '../domain/errors.js';

export interface CreatedInstance {
  user_id: string;
  instance_id: string;
  instance_token: string;
  name: string;
  engine: EngineName;
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
    const settings = parseInstanceConfig(config);
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
      config: JSON.stringify(settings),
    });
    await this.created(id);
    return { user_id: userId, instance_id: id, instance_token: token, name: clean, engine: known };
  }
}
