/**
 * The dashboard's built files (dist/web, made by `npm run build`): the page
 * at `/` and its hashed assets, read once at start, served with a strict
 * Content-Security-Policy (scripts and styles from this origin only, no inline
 * code, no framing). Everything the dashboard does goes through the public
 * API with the credentials its user typed.
 */
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import type { FastifyInstance } from 'fastify';
import { ApiError } from '../domain/errors.js';

const CSP = [
  "default-src 'none'",
  "script-src 'self'",
  "style-src 'self'",
  "img-src 'self' blob: data:",
  "connect-src 'self'",
  "base-uri 'none'",
  "form-action 'none'",
  "frame-ancestors 'none'",
].join('; ');
const HEADERS = {
  'content-security-policy': CSP,
  'x-content-type-options': 'nosniff',
  'referrer-policy': 'no-referrer',
  'x-frame-options': 'DENY',
};
const TYPES: Record<string, string> = { '.js': 'text/javascript; charset=utf-8', '.css': 'text/css; charset=utf-8' };

/** dist/web, from src/http (tests) or dist/http (the built server) alike. */
export function defaultDashboardDir(): string {
  return path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..', 'dist', 'web');
}

function readBuilt(dir: string): { page: Buffer; assets: Map<string, Buffer> } | undefined {
  const index = path.join(dir, 'index.html');
  if (!fs.existsSync(index)) return undefined;
  const assets = new Map<string, Buffer>();
  for (const name of fs.readdirSync(path.join(dir, 'assets'))) assets.set(name, fs.readFileSync(path.join(dir, 'assets', name)));
  return { page: fs.readFileSync(index), assets };
}

export function dashboardRoutes(app: FastifyInstance, dir: string): void {
  const built = readBuilt(dir);
  app.get('/', { schema: { hide: true } }, async (_request, reply) => {
    if (built === undefined) throw new ApiError(503, 'dashboard_not_built', 'The dashboard is not built; run npm run build');
    return reply.headers({ ...HEADERS, 'content-type': 'text/html; charset=utf-8', 'cache-control': 'no-cache' }).send(built.page);
  });
  app.get<{ Params: { file: string } }>('/assets/:file', { schema: { hide: true } }, async (request, reply) => {
    const bytes = built?.assets.get(request.params.file);
    const type = TYPES[path.extname(request.params.file)];
    if (bytes === undefined || type === undefined) throw new ApiError(404, 'not_found', 'No such file');
    // Names carry their content's hash: a changed file has a new name.
    return reply.headers({ ...HEADERS, 'content-type': type, 'cache-control': 'public, max-age=31536000, immutable' }).send(bytes);
  });
}
