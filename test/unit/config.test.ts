import os from 'node:os';
import { describe, expect, it } from 'vitest';
import { ConfigError, loadConfig } from '../../src/config.js';

describe('configuration', () => {
  it('has the documented defaults', () => {
    const c = loadConfig({}, '/srv/connexa');
    expect(c.port).toBe(8080);
    expect(c.host).toBe('0.0.0.0');
    expect(c.database).toEqual({ dialect: 'sqlite', file: '/srv/connexa/data/connexa.db' });
    expect(c.dataDir).toBe('/srv/connexa/data');
    expect(c.mediaAllowPrivateNetworks).toBe(false);
    expect(c.adminToken).toBeUndefined();
  });

  it('reports one line per bad value, naming the variable', () => {
    try {
      loadConfig({ CONNEXA_PORT: 'eighty', CONNEXA_MEDIA_ALLOW_PRIVATE_NETWORKS: 'maybe', CONNEXA_LOG_LEVEL: 'loud', CONNEXA_ADMIN_TOKEN: 'short' });
      expect.unreachable();
    } catch (err) {
      expect(err).toBeInstanceOf(ConfigError);
      const problems = (err as ConfigError).problems;
      expect(problems).toHaveLength(4);
      expect(problems.map((p) => p.split(':')[0])).toEqual(
        ['CONNEXA_ADMIN_TOKEN', 'CONNEXA_PORT', 'CONNEXA_MEDIA_ALLOW_PRIVATE_NETWORKS', 'CONNEXA_LOG_LEVEL'].sort(
          (a, b) => problems.findIndex((p) => p.startsWith(a)) - problems.findIndex((p) => p.startsWith(b)),
        ),
      );
    }
  });

  it('takes the secret key as hex or base64 of 32 bytes, and names it when it is not', () => {
    expect(loadConfig({ CONNEXA_SECRET_KEY: 'ab'.repeat(32) }).secretKey?.length).toBe(32);
    expect(() => loadConfig({ CONNEXA_SECRET_KEY: 'changeme' })).toThrow(/CONNEXA_SECRET_KEY: expected 32 random bytes/);
  });

  it('refuses an unsupported database URL', () => {
    expect(() => loadConfig({ CONNEXA_DATABASE_URL: 'mysql://x' })).toThrow(/CONNEXA_DATABASE_URL/);
  });

  it('takes a PostgreSQL URL, and then needs the admin token and secret key from the environment, never echoing the URL', () => {
    const url = 'postgres://connexa:s3cret-pw@db.internal:5432/connexa';
    try {
      loadConfig({ CONNEXA_DATABASE_URL: url });
      expect.unreachable();
    } catch (err) {
      const problems = (err as ConfigError).problems;
      expect(problems.map((p) => p.split(':')[0]).sort()).toEqual(['CONNEXA_ADMIN_TOKEN', 'CONNEXA_SECRET_KEY']);
      expect(problems.join('\n')).not.toContain('s3cret-pw');
    }
    const c = loadConfig(
      { CONNEXA_DATABASE_URL: url, CONNEXA_ADMIN_TOKEN: 'a'.repeat(32), CONNEXA_SECRET_KEY: 'ab'.repeat(32), CONNEXA_DATABASE_POOL_MAX: '20' },
      '/srv/connexa',
    );
    // A transaction idle past the lease time is ended by the server (never under 5 s).
    expect(c.database).toEqual({ dialect: 'postgres', url, poolMax: 20, acceptCommits: 1, idleTransactionMs: 15_000 });
    expect(c.dataDir).toBe('/srv/connexa/data');
  });

  it('names a node by its host on PostgreSQL, and takes the cluster settings', () => {
    const pg = { CONNEXA_DATABASE_URL: 'postgres://db/connexa', CONNEXA_ADMIN_TOKEN: 'a'.repeat(32), CONNEXA_SECRET_KEY: 'ab'.repeat(32) };
    expect(loadConfig({}).nodeId).toBe('node-1');
    expect(loadConfig(pg).nodeId).toBe(os.hostname());
    const c = loadConfig({ ...pg, CONNEXA_NODE_URL: 'http://10.0.0.5:8080/', CONNEXA_CLUSTER_LEASE_MS: '3000' });
    expect(c.cluster).toEqual({ nodeUrl: 'http://10.0.0.5:8080', leaseMs: 3000, handOverStep: 10 });
    expect(c.database).toMatchObject({ idleTransactionMs: 5_000 });
    expect(() => loadConfig({ CONNEXA_NODE_URL: 'ftp://x' })).toThrow(/CONNEXA_NODE_URL: expected/);
    expect(() => loadConfig({ CONNEXA_NODE_URL: 'http://user:pw@x' })).toThrow(/CONNEXA_NODE_URL: expected/);
  });

  it('takes trusted proxies as addresses and CIDRs, and refuses anything else', () => {
    expect(loadConfig({}).trustedProxies).toEqual([]);
    expect(loadConfig({ CONNEXA_TRUSTED_PROXIES: '10.0.0.0/8, 127.0.0.1,::1' }).trustedProxies).toEqual(['10.0.0.0/8', '127.0.0.1', '::1']);
    expect(() => loadConfig({ CONNEXA_TRUSTED_PROXIES: '10.0.0.0/8,proxy.local' })).toThrow(/CONNEXA_TRUSTED_PROXIES: "proxy.local"/);
  });

  it('takes the WhatsApp Web version as three numbers, and the queue time to live in seconds', () => {
    expect(loadConfig({}).whatsapp.version).toBe('latest');
    expect(loadConfig({ CONNEXA_WHATSAPP_VERSION: 'bundled' }).whatsapp.version).toBe('bundled');
    expect(loadConfig({ CONNEXA_WHATSAPP_VERSION: '2.3000.1027934701' }).whatsapp.version).toEqual([2, 3000, 1027934701]);
    expect(() => loadConfig({ CONNEXA_WHATSAPP_VERSION: '2.3000' })).toThrow(/CONNEXA_WHATSAPP_VERSION: expected/);
    expect(loadConfig({}).dispatch.queueTtlMs).toBe(86_400_000);
    expect(loadConfig({ CONNEXA_QUEUE_TTL_S: '60' }).dispatch.queueTtlMs).toBe(60_000);
    expect(() => loadConfig({ CONNEXA_QUEUE_TTL_S: '0' })).toThrow(/CONNEXA_QUEUE_TTL_S/);
  });
});
