// Bench tenants through the admin HTTP API: one user with many sandbox instances.

async function post(base, path, body, adminToken) {
  const res = await fetch(`${base}${path}`, {
    method: 'POST',
    headers: { authorization: `Bearer ${adminToken}`, 'content-type': 'application/json' },
    body: JSON.stringify(body),
    signal: AbortSignal.timeout(10_000),
  });
  const text = await res.text();
  if (res.status < 200 || res.status >= 300) throw new Error(`POST ${path} answered HTTP ${res.status}: ${text.slice(0, 300)}`);
  return JSON.parse(text);
}

/** Creates one user and `count` sandbox instances; returns each instance's Basic auth header. */
export async function createSandboxInstances(base, adminToken, count, parallel = 8) {
  const { user_id: userId } = await post(base, '/api/v1/admin/users', { name: 'Bench' }, adminToken);
  const auths = new Array(count);
  let next = 0;
  const worker = async () => {
    while (next < count) {
      const i = next++;
      const inst = await post(base, `/api/v1/admin/users/${userId}/instances`, { name: `bench-${i}`, engine: 'sandbox' }, adminToken);
      auths[i] = `Basic ${Buffer.from(`${userId}:${inst.instance_token}`).toString('base64')}`;
    }
  };
  await Promise.all(Array.from({ length: Math.min(parallel, count) }, worker));
  return auths;
}
