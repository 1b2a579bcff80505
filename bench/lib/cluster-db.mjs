// The PostgreSQL databases of the cluster benchmark: a fresh database per
// configuration on the server at --postgres-url (created, dropped, left-overs
// of interrupted runs removed), and what its client backends are doing now
// (pg_stat_activity).
import pg from 'pg';
import { sleep } from './processes.mjs';

/** The URL with its credentials hidden, for the console. */
export const redact = (url) => url.replace(/\/\/[^@/]*@/, '//…@');

/** Whether a process with this pid runs (on this machine). */
function alive(pid) {
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    return err.code === 'EPERM';
  }
}

/** Fresh databases on the PostgreSQL server at `url`; fails when it does not answer. */
export async function benchPostgres(url) {
  const client = new pg.Client({ connectionString: url, connectionTimeoutMillis: 3000, query_timeout: 60_000 });
  try {
    await client.connect();
  } catch (err) {
    throw new Error(`no PostgreSQL at ${redact(url)} (${err.message}); pass --postgres-url`, { cause: err });
  }
  const created = new Set();
  const drop = async (name) => {
    await client.query(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`);
    created.delete(name);
  };
  // Databases left by an earlier run that was interrupted (Ctrl-C exits without dropping them).
  const { rows } = await client.query(`SELECT datname FROM pg_database WHERE datname LIKE 'connexa\\_cluster\\_%'`);
  for (const { datname } of rows) {
    const pid = Number(/^connexa_cluster_(\d+)_/.exec(datname)?.[1]);
    if (Number.isInteger(pid) && pid !== process.pid && !alive(pid)) await drop(datname);
  }
  return {
    /** Creates a fresh database; returns its name and URL. */
    create: async (suffix) => {
      const name = `connexa_cluster_${process.pid}_${suffix}`.toLowerCase().replace(/[^a-z0-9_]/g, '_');
      await drop(name);
      // CREATE DATABASE copies template1 and fails while another session is connected to it: retry a few times.
      for (let attempt = 1; ; attempt++) {
        try {
          await client.query(`CREATE DATABASE ${name}`);
          break;
        } catch (err) {
          if (attempt >= 5 || !/being accessed by other users/.test(err.message)) throw err;
          await sleep(500 * attempt);
        }
      }
      created.add(name);
      const u = new URL(url);
      u.pathname = `/${name}`;
      return { name, url: u.toString() };
    },
    drop,
    /** What the bench database's client backends are doing now: one label per backend. */
    activity: async (name) => {
      const { rows } = await client.query(
        `SELECT state, wait_event_type, wait_event FROM pg_stat_activity WHERE datname = $1 AND backend_type = 'client backend'`,
        [name],
      );
      return rows.map((r) =>
        r.state === 'active' ? (r.wait_event === null ? 'active on CPU' : `${r.wait_event_type}:${r.wait_event}`) : (r.state ?? 'unknown'),
      );
    },
    /** Drops whatever is left and disconnects. */
    close: async () => {
      for (const name of [...created]) await drop(name).catch((err) => console.warn(`warning: could not drop ${name}: ${err.message}`));
      await client.end().catch(() => {});
    },
  };
}
