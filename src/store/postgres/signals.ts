/**
 * Wake-ups between nodes (LISTEN/NOTIFY): a node that accepted messages, or
 * opened lanes for instances another node owns, signals a channel, and every
 * node listening there looks for work at once instead of at its next poll.
 * A signal carries nothing: the rows are the truth, and the polls stay as a
 * safety net (a signal sent while a listener was reconnecting is not lost
 * work, only a later start).
 */
import pg from 'pg';
import { Coalescer } from '../../util/coalescer.js';
import type { Signals } from '../database.js';

const RECONNECT_MS = 1_000;

export function postgresSignals(url: string, notify: (channel: string) => Promise<unknown>): Signals & { close(): Promise<void> } {
  const listeners = new Map<string, (() => void)[]>();
  const senders = new Map<string, Coalescer>();
  let client: pg.Client | undefined;
  let connecting: Promise<void> | undefined;
  let closed = false;
  let retry: NodeJS.Timeout | undefined;

  // A failed connect only rejects (no 'error' event): every failure schedules the next try, until it works or closes.
  const reconnect = (): void => {
    if (closed || retry !== undefined) return;
    retry = setTimeout(() => {
      retry = undefined;
      // A listen() meanwhile may have connected already: a second connection would leak and double every wake-up.
      if (client !== undefined) return;
      connect().catch(() => reconnect());
    }, RECONNECT_MS);
  };

  const connect = (): Promise<void> => {
    connecting ??= (async () => {
      const c = new pg.Client({ connectionString: url, application_name: 'connexa-signals' });
      c.on('notification', (n) => {
        for (const fn of listeners.get(n.channel) ?? []) fn();
      });
      c.on('error', () => {
        // The connection broke: listen again on a new one; meanwhile the polls find the work.
        if (client === c) client = undefined;
        void c.end().catch(() => undefined);
        reconnect();
      });
      await c.connect();
      for (const channel of listeners.keys()) await c.query(`LISTEN ${pg.escapeIdentifier(channel)}`);
      client = c;
      // Whatever was signalled while not listening: look once.
      for (const fns of listeners.values()) for (const fn of fns) fn();
    })().finally(() => {
      connecting = undefined;
    });
    return connecting;
  };

  return {
    async listen(channel, fn) {
      const known = listeners.get(channel);
      if (known !== undefined) {
        known.push(fn);
        return;
      }
      listeners.set(channel, [fn]);
      if (client === undefined) await connect();
      else await client.query(`LISTEN ${pg.escapeIdentifier(channel)}`);
    },
    signal(channel) {
      let sender = senders.get(channel);
      if (sender === undefined) {
        // One NOTIFY in flight per channel; signals meanwhile become one more after it.
        sender = new Coalescer(
          async () => {
            await notify(channel);
            return false;
          },
          () => undefined,
        );
        senders.set(channel, sender);
      }
      void sender.run();
    },
    async close() {
      closed = true;
      if (retry !== undefined) clearTimeout(retry);
      await connecting?.catch(() => undefined);
      const c = client;
      client = undefined;
      await c?.end().catch(() => undefined);
    },
  };
}
