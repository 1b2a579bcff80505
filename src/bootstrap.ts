/**
 * First-start conveniences of the embedded default: an admin token generated
 * into the data dir when none is configured, and a demo user with a sandbox
 * instance when the database has no users, so `npm start` is enough to try
 * the API. Secrets are shown once, on stdout, never through the logger.
 */
import fs from 'node:fs';
import path from 'node:path';
import type { AdminService, CreatedInstance } from './admin/service.js';
import { randomBytes } from 'node:crypto';
import { parseSecretKey } from './crypto/sealer.js';
import { generateToken } from './domain/tokens.js';
import type { Db } from './store/database.js';
import { countUsers } from './store/users.js';

export const ADMIN_TOKEN_FILE = 'admin-token';

export function resolveAdminToken(configured: string | undefined, dataDir: string): { token: string; generatedAt?: string } {
  if (configured !== undefined) return { token: configured };
  const existing = readAdminToken(dataDir);
  if (existing !== undefined) return { token: existing };
  const file = path.join(dataDir, ADMIN_TOKEN_FILE);
  fs.mkdirSync(dataDir, { recursive: true, mode: 0o700 });
  const token = generateToken('cnx_admin_');
  fs.writeFileSync(file, `${token}\n`, { mode: 0o600, flag: 'wx' });
  return { token, generatedAt: file };
}

/** The generated admin token, if the embedded first start made one. */
export function readAdminToken(dataDir: string): string | undefined {
  const file = path.join(dataDir, ADMIN_TOKEN_FILE);
  return fs.existsSync(file) ? fs.readFileSync(file, 'utf8').trim() : undefined;
}

export const SECRET_KEY_FILE = 'secret-key';

/**
 * The key that encrypts secrets at rest. Without CONNEXA_SECRET_KEY the
 * embedded default keeps one in the data dir, created on the first start.
 * Losing it makes stored sessions unreadable (they must be linked again).
 */
export function resolveSecretKey(configured: Buffer | undefined, dataDir: string): { key: Buffer; generatedAt?: string } {
  if (configured !== undefined) return { key: configured };
  const file = path.join(dataDir, SECRET_KEY_FILE);
  if (fs.existsSync(file)) {
    const key = parseSecretKey(fs.readFileSync(file, 'utf8'));
    if (key === undefined) throw new Error(`${file} does not hold a valid secret key (64 hex digits)`);
    return { key };
  }
  fs.mkdirSync(dataDir, { recursive: true, mode: 0o700 });
  const key = randomBytes(32);
  fs.writeFileSync(file, `${key.toString('hex')}\n`, { mode: 0o600, flag: 'wx' });
  return { key, generatedAt: file };
}

export async function createDemoIfEmpty(db: Db, admin: AdminService): Promise<CreatedInstance | undefined> {
  if ((await countUsers(db)) > 0) return undefined;
  const user = await admin.createUser('Demo');
  return admin.createInstance(user.user_id, 'demo-sandbox', 'sandbox');
}

export function demoBanner(demo: CreatedInstance, baseUrl: string): string {
  const body = JSON.stringify({ phone: '554499999999', data: { text: 'Hello from Connexa!' } });
  return [
    '',
    '  Connexa is running with a demo user and a sandbox instance (a simulated WhatsApp).',
    '  The instance token is shown only this once; keep it.',
    '',
    `    user_id:         ${demo.user_id}`,
    `    instance_id:     ${demo.instance_id}`,
    `    instance_token:  ${demo.instance_token}`,
    '',
    '  Send a message:',
    '',
    `    curl -X POST "${baseUrl}/api/v1/message/text" -u "${demo.user_id}:${demo.instance_token}" -H "Content-Type: application/json" -d '${body}'`,
    '',
    '  See what the sandbox received:',
    '',
    `    curl "${baseUrl}/api/v1/sandbox/messages" -u "${demo.user_id}:${demo.instance_token}"`,
    '',
  ].join('\n');
}
