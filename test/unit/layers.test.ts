/**
 * The layering the code is built on, checked on every import of src/:
 * HTTP → use cases (accept, admin, events) → dispatch, webhooks, cluster → engines → store,
 * with domain, media, crypto and util below everything; the database driver
 * and the query builder only in store/. The composition roots (gateway,
 * main, index, bootstrap, cli) wire everything and may import anything.
 */
import fs from 'node:fs';
import path from 'node:path';
import { expect, it } from 'vitest';

const SRC = path.resolve('src');
const ROOTS = new Set(['gateway.ts', 'main.ts', 'index.ts', 'bootstrap.ts', 'config.ts', 'log.ts', 'cli', 'wiring']);
const SHARED = ['domain', 'media', 'crypto', 'util'];
/** What each folder may not import. */
const FORBIDDEN: Record<string, string[]> = {
  http: [],
  accept: ['http'],
  admin: ['http', 'accept'],
  events: ['http', 'accept', 'admin', 'metrics', 'dispatch', 'webhooks', 'engines', 'cluster'],
  metrics: ['http', 'accept', 'admin'],
  dispatch: ['http', 'accept', 'admin', 'events', 'metrics', 'cluster'],
  webhooks: ['http', 'accept', 'admin', 'events', 'metrics', 'dispatch', 'engines', 'cluster'],
  cluster: ['http', 'accept', 'admin', 'events', 'metrics', 'dispatch', 'webhooks', 'engines'],
  engines: ['http', 'accept', 'admin', 'events', 'metrics', 'dispatch', 'webhooks', 'cluster'],
  store: ['http', 'accept', 'admin', 'events', 'metrics', 'dispatch', 'webhooks', 'engines', 'cluster'],
  ...Object.fromEntries(SHARED.map((f) => [f, ['http', 'accept', 'admin', 'events', 'metrics', 'dispatch', 'webhooks', 'engines', 'store', 'cluster']])),
};
const DRIVERS = ['better-sqlite3', 'pg', 'kysely'];

function files(dir: string): string[] {
  return fs.readdirSync(dir, { withFileTypes: true }).flatMap((e) => {
    const full = path.join(dir, e.name);
    return e.isDirectory() ? files(full) : e.name.endsWith('.ts') ? [full] : [];
  });
}

function imports(file: string): string[] {
  const text = fs.readFileSync(file, 'utf8');
  return [...text.matchAll(/(?:^|\n)\s*(?:import|export)[^'"]*?from\s+'([^']+)'|import\(\s*'([^']+)'\s*\)/g)].map((m) => m[1] ?? m[2] ?? '');
}

it('every import follows the layers, and the driver stays in store/', () => {
  const broken: string[] = [];
  for (const file of files(SRC)) {
    const rel = path.relative(SRC, file);
    const top = rel.split(path.sep)[0] ?? '';
    if (ROOTS.has(top)) continue;
    const forbidden = FORBIDDEN[top];
    if (forbidden === undefined) {
      broken.push(`${rel}: folder ${top} has no place in the layers (add it to this test)`);
      continue;
    }
    for (const spec of imports(file)) {
      if (!spec.startsWith('.')) {
        const pkg = spec.split('/')[0] ?? '';
        if (DRIVERS.includes(pkg) && top !== 'store') broken.push(`${rel} imports ${spec} (only store/ talks to the database)`);
        continue;
      }
      const target = path.relative(SRC, path.resolve(path.dirname(file), spec)).split(path.sep)[0] ?? '';
      if (forbidden.includes(target)) broken.push(`${rel} imports ${spec} (${top} may not depend on ${target})`);
      if (ROOTS.has(target) || ROOTS.has(`${target}.ts`)) broken.push(`${rel} imports ${spec} (a composition root)`);
    }
  }
  expect(broken).toEqual([]);
});
