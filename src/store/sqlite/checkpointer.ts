/**
 * WAL checkpoints mostly off the event loop. SQLite's automatic checkpoint
 * runs inside whichever commit crosses the threshold, copying every page
 * written since the last one while requests wait. A worker thread with its
 * own connection runs PASSIVE checkpoints (which never block writers) every
 * 100 ms, so by the time the main connection's automatic checkpoint comes
 * round almost everything is copied already and it only has to reset the WAL
 * (which a concurrent checkpoint alone never does under constant writes).
 * The worker is plain JS so it runs the same from the build and from the
 * TypeScript sources under test.
 */
import { createRequire } from 'node:module';
import { Worker } from 'node:worker_threads';

const WORKER_SOURCE = `
const { workerData, parentPort } = require('node:worker_threads');
const Database = require(workerData.driver);
const db = new Database(workerData.file);
db.pragma('busy_timeout = 1000');
const run = () => { try { db.pragma('wal_checkpoint(PASSIVE)'); } catch (e) { /* busy: next time */ } };
const timer = setInterval(run, workerData.intervalMs);
parentPort.on('message', (m) => {
  if (m === 'stop') { clearInterval(timer); run(); db.close(); parentPort.close(); }
});
`;

export class Checkpointer {
  private readonly worker: Worker;

  constructor(file: string, intervalMs = 100) {
    const driver = createRequire(import.meta.url).resolve('better-sqlite3');
    this.worker = new Worker(WORKER_SOURCE, { eval: true, workerData: { file, intervalMs, driver } });
    this.worker.unref();
  }

  async stop(): Promise<void> {
    const exited = new Promise<void>((resolve) => this.worker.once('exit', () => resolve()));
    // Keep the process alive until the worker has finished its last checkpoint.
    this.worker.ref();
    this.worker.postMessage('stop');
    await Promise.race([exited, new Promise<void>((r) => setTimeout(r, 2000).unref())]);
    await this.worker.terminate();
  }
}
