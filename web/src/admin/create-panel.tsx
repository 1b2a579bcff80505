/** Creates a user, and an instance for a user (its token shown once). */
import { useState } from 'preact/hooks';
import { describeError, type Api } from '../api.js';
import { ErrorNote } from '../ui.js';
import { CloudFields, cloudConfig } from './cloud-settings.js';

interface Created {
  user_id: string;
  instance_id: string;
  instance_token: string;
  engine: string;
}

export function CreatePanel({ api }: { api: Api }) {
  const [userName, setUserName] = useState('');
  const [userId, setUserId] = useState('');
  const [name, setName] = useState('');
  const [engine, setEngine] = useState('sandbox');
  const [cloud, setCloud] = useState<Record<string, string>>({});
  const [created, setCreated] = useState<Created>();
  const [error, setError] = useState<string>();
  const [userNotice, setUserNotice] = useState<string>();

  const createUser = async (e: Event) => {
    e.preventDefault();
    setError(undefined);
    try {
      const r = await api.call<{ user_id: string }>('POST', '/api/v1/admin/users', { name: userName });
      setUserId(r.user_id);
      setUserNotice(`User created: ${r.user_id}`);
    } catch (err) {
      setError(describeError(err));
    }
  };
  const createInstance = async (e: Event) => {
    e.preventDefault();
    setError(undefined);
    try {
      const body = { name, engine, ...(engine === 'cloud' ? { config: cloudConfig(cloud) } : {}) };
      setCreated(await api.call<Created>('POST', `/api/v1/admin/users/${encodeURIComponent(userId.trim())}/instances`, body));
    } catch (err) {
      setError(describeError(err));
    }
  };

  return (
    <section aria-labelledby="create-title">
      <h2 id="create-title">New user</h2>
      <form class="inline" onSubmit={createUser}>
        <label>
          User name
          <input name="user_name" required value={userName} onInput={(e) => setUserName(e.currentTarget.value)} />
        </label>
        <button type="submit">Create user</button>
      </form>
      {userNotice !== undefined && (
        <p class="notice" role="status">
          {userNotice}
        </p>
      )}
      <h2>New instance</h2>
      <form class="stack" onSubmit={createInstance}>
        <label>
          user_id
          <input name="user_id" required value={userId} onInput={(e) => setUserId(e.currentTarget.value)} />
        </label>
        <label>
          Instance name
          <input name="instance_name" required value={name} onInput={(e) => setName(e.currentTarget.value)} />
        </label>
        <label>
          Engine
          <select name="engine" value={engine} onChange={(e) => setEngine(e.currentTarget.value)}>
            <option value="sandbox">sandbox (simulated WhatsApp)</option>
            <option value="baileys">baileys (a WhatsApp number, linked by QR)</option>
            <option value="cloud">cloud (Meta's Cloud API)</option>
          </select>
        </label>
        {engine === 'cloud' && (
          <fieldset>
            <legend>Cloud API account</legend>
            <CloudFields values={cloud} onChange={(k, v) => setCloud((o) => ({ ...o, [k]: v }))} />
          </fieldset>
        )}
        <button type="submit">Create instance</button>
      </form>
      <ErrorNote error={error} />
      {created !== undefined && (
        <div class="once" role="status">
          <p>Instance created. Its token is shown only now: copy it.</p>
          <dl class="facts">
            <dt>user_id</dt>
            <dd>
              <code>{created.user_id}</code>
            </dd>
            <dt>instance_id</dt>
            <dd>
              <code>{created.instance_id}</code>
            </dd>
            <dt>instance_token</dt>
            <dd>
              <code data-testid="created-token">{created.instance_token}</code>
            </dd>
          </dl>
        </div>
      )}
    </section>
  );
}
