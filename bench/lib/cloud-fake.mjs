// The fake Graph API (test/fakes/graph/, TypeScript) for bench/cloud.mjs: compiled once
// with the project's TypeScript into the run's temp dir, then run per bench run in its
// own process (cloud-fake-child.mjs, IPC), killed on exit. Also: what its timestamps
// say per calendar second.
import { fork } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { ROOT } from './constants.mjs';
import { run } from './processes.mjs';

const TSC = path.join(ROOT, 'node_modules', 'typescript', 'bin', 'tsc');
const SOURCE = path.join(ROOT, 'test', 'fakes', 'graph', 'server.ts');
const CHILD = path.join(path.dirname(fileURLToPath(import.meta.url)), 'cloud-fake-child.mjs');
const children = new Set();
process.on('exit', () => {
  for (const c of children) if (c.exitCode === null && c.signalCode === null) c.kill('SIGKILL');
});

/** Compiles the fake into `dir`; returns the file URL of its server.js. */
export async function compileFakeGraph(dir) {
  fs.mkdirSync(dir, { recursive: true });
  const args = [TSC, '--ignoreConfig', '--outDir', dir, '--module', 'nodenext', '--moduleResolution', 'nodenext'];
  args.push('--target', 'es2023', '--lib', 'es2023', '--types', 'node', '--skipLibCheck', SOURCE);
  const r = await run(process.execPath, args, { timeoutMs: 120_000 });
  if (r.code !== 0) throw new Error(`compiling the fake Graph server failed (exit ${r.code}):\n${`${r.stdout}${r.stderr}`.trim().slice(0, 2000)}`);
  fs.writeFileSync(path.join(dir, 'package.json'), '{ "type": "module" }\n');
  return pathToFileURL(path.join(dir, 'server.js')).href;
}

/**
 * Starts a fake (default limits: 80 sends per calendar second, pair bucket 45 / 6 s) in
 * its own process. Returns {url, phoneNumberId, accessToken, appSecret, call(cmd, args), close()}.
 */
export async function startFakeProcess(serverUrl, readyMs = 20_000) {
  const child = fork(CHILD, [serverUrl], { cwd: ROOT, stdio: ['ignore', 'inherit', 'inherit', 'ipc'] });
  children.add(child);
  child.once('exit', () => children.delete(child));
  const pending = new Map();
  let nextId = 0;
  const ready = await new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`the fake Graph server was not ready after ${readyMs} ms`)), readyMs);
    child.once('exit', (code, signal) => reject(new Error(`the fake Graph server exited (${code ?? signal})`)));
    child.on('message', (msg) => {
      if (msg.ready !== undefined) {
        clearTimeout(timer);
        resolve(msg.ready);
      } else pending.get(msg.id)?.(msg);
    });
  });
  const call = (cmd, args = {}, timeoutMs = 60_000) =>
    new Promise((resolve, reject) => {
      const id = nextId++;
      const timer = setTimeout(() => {
        pending.delete(id);
        reject(new Error(`the fake Graph server did not answer ${cmd} in ${timeoutMs} ms`));
      }, timeoutMs);
      pending.set(id, (msg) => {
        clearTimeout(timer);
        pending.delete(id);
        if (msg.error !== undefined) reject(new Error(`fake Graph server, ${cmd}: ${msg.error}`));
        else resolve(msg);
      });
      child.send({ id, cmd, args });
    });
  const close = async () => {
    if (child.exitCode !== null || child.signalCode !== null) return;
    const exited = new Promise((resolve) => child.once('exit', resolve));
    await call('close', {}, 10_000).catch(() => {});
    child.disconnect();
    const timer = setTimeout(() => child.kill('SIGKILL'), 5_000);
    await exited;
    clearTimeout(timer);
  };
  return { ...ready, call, close };
}

function perSecond(times) {
  const m = new Map();
  for (const t of times) m.set(Math.floor(t / 1000), (m.get(Math.floor(t / 1000)) ?? 0) + 1);
  return m;
}

/** The largest number of timestamps (ms) that fall in one calendar second. */
export const maxPerSecond = (times) => Math.max(0, ...perSecond(times).values());

/**
 * The calendar seconds in which more sends reached the fake's throughput check than it
 * allows: [{at: that second's number counted from the one `t0` (ms) falls in, taken, tried}].
 */
export function busySeconds(acceptedAt, attemptsAt, t0, limit) {
  const taken = perSecond(acceptedAt);
  return [...perSecond(attemptsAt)]
    .filter(([, tried]) => tried > limit)
    .map(([s, tried]) => ({ at: s - Math.floor(t0 / 1000), taken: taken.get(s) ?? 0, tried }));
}
