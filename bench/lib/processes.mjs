// Child processes: free ports, running commands, core pinning, server start/stop/readiness, cleanup on exit.
import { spawn } from 'node:child_process';
import fs from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { ROOT } from './constants.mjs';

const children = new Set();
let tmpRoot;
let cleanedUp = false;

/** Kills every child still running and removes the temp dir (once). */
export function cleanup() {
  if (cleanedUp) return;
  cleanedUp = true;
  for (const child of children) {
    if (child.exitCode === null && child.signalCode === null) {
      try {
        child.kill('SIGKILL');
      } catch {
        /* already gone */
      }
    }
  }
  if (tmpRoot !== undefined) fs.rmSync(tmpRoot, { recursive: true, force: true });
}

process.on('exit', cleanup);
for (const [signal, code] of [
  ['SIGINT', 130],
  ['SIGTERM', 143],
  ['SIGHUP', 129],
]) {
  process.on(signal, () => {
    console.error(`\n${signal}: stopping`);
    cleanup();
    process.exit(code);
  });
}

/** Creates the run's temp dir; cleanup() removes it. */
export function makeTmpRoot() {
  tmpRoot = fs.mkdtempSync(path.join(os.tmpdir(), 'connexa-bench-'));
  return tmpRoot;
}

function track(child) {
  children.add(child);
  child.once('exit', () => children.delete(child));
  return child;
}

export function which(cmd) {
  for (const dir of (process.env.PATH ?? '').split(path.delimiter)) {
    if (dir === '') continue;
    const file = path.join(dir, cmd);
    try {
      fs.accessSync(file, fs.constants.X_OK);
      return file;
    } catch {
      /* not here */
    }
  }
  return undefined;
}

/** Whether commands are pinned to cores with taskset (a live binding; set with setPinning). */
export let pinning = false;
export function setPinning(value) {
  pinning = value;
}

/** [command, args] with `taskset -c CORE` in front when pinning. */
export function pinned(core, cmd, args) {
  return pinning ? ['taskset', ['-c', String(core), cmd, ...args]] : [cmd, args];
}

/** Runs a command to completion, collecting output; kills it after timeoutMs. */
export function run(cmd, args, { env = process.env, timeoutMs = 60_000 } = {}) {
  return new Promise((resolve, reject) => {
    const child = track(spawn(cmd, args, { env, stdio: ['ignore', 'pipe', 'pipe'] }));
    let stdout = '';
    let stderr = '';
    child.stdout.setEncoding('utf8').on('data', (d) => (stdout += d));
    child.stderr.setEncoding('utf8').on('data', (d) => (stderr += d));
    const timer = setTimeout(() => child.kill('SIGKILL'), timeoutMs);
    child.once('error', (err) => {
      clearTimeout(timer);
      reject(err);
    });
    child.once('close', (code, signal) => {
      clearTimeout(timer);
      resolve({ code, signal, stdout, stderr });
    });
  });
}

/** Stops a long-running child: SIGTERM, then SIGKILL after graceMs. */
export async function stop(child, graceMs = 8_000) {
  if (child.exitCode !== null || child.signalCode !== null) return;
  const exited = new Promise((resolve) => child.once('exit', resolve));
  child.kill('SIGTERM');
  const timer = setTimeout(() => child.kill('SIGKILL'), graceMs);
  await exited;
  clearTimeout(timer);
}

export const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

/** A free TCP port on 127.0.0.1, as chosen by the OS. */
export function freePort() {
  return new Promise((resolve, reject) => {
    const srv = net.createServer();
    srv.once('error', reject);
    srv.listen(0, '127.0.0.1', () => {
      const { port } = srv.address();
      srv.close(() => resolve(port));
    });
  });
}

export function tail(file, lines = 20) {
  try {
    return fs.readFileSync(file, 'utf8').trimEnd().split('\n').slice(-lines).join('\n');
  } catch {
    return '';
  }
}

/** Starts a Node server (pinned to core 0) with its output appended to logFile. */
export function startServer(kind, cmdArgs, env, logFile) {
  const fd = fs.openSync(logFile, 'a');
  const [cmd, args] = pinned(0, process.execPath, cmdArgs);
  const child = track(spawn(cmd, args, { env, cwd: ROOT, stdio: ['ignore', fd, fd] }));
  fs.closeSync(fd);
  child.once('error', (err) => console.error(`${kind}: ${err.message}`));
  return child;
}

/** Polls url until it answers 200; throws if the child exits or limitMs passes. */
export async function waitReady(kind, child, url, logFile, limitMs = 20_000) {
  const deadline = Date.now() + limitMs;
  let last = 'no answer';
  while (Date.now() < deadline) {
    if (child.exitCode !== null || child.signalCode !== null) {
      throw new Error(`${kind} exited (${child.exitCode ?? child.signalCode}) before it was ready:\n${tail(logFile)}`);
    }
    try {
      const res = await fetch(url, { signal: AbortSignal.timeout(1_000) });
      await res.arrayBuffer();
      if (res.status === 200) return;
      last = `HTTP ${res.status}`;
    } catch (err) {
      last = err.cause?.code ?? err.message;
    }
    await sleep(100);
  }
  throw new Error(`${kind} not ready after ${limitMs / 1000} s (${last}):\n${tail(logFile)}`);
}
