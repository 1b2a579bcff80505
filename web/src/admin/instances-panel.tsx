/** Every instance with its user and state; rotate a token (shown once), delete, change a Cloud API instance's settings. */
import { useCallback, useEffect, useState } from 'preact/hooks';
import { describeError, type Api } from '../api.js';
import { useAction } from '../use-action.js';
import { Badge, ErrorNote, Notice, TableFrame, when, TableHead } from '../ui.js';
import { CloudSettings } from './cloud-settings.js';

export interface ListedInstance {
  instance_id: string;
  user_id: string;
  user_name: string;
  name: string;
  engine: string;
  state: string;
  phone: string | null;
  created_at: string;
}

/** How often the list is read again while shown. */
const REFRESH_MS = 10_000;

export function InstancesPanel({ api }: { api: Api }) {
  const [instances, setInstances] = useState<ListedInstance[]>([]);
  const [cursor, setCursor] = useState<string | null>(null);
  const { error, setError, notice, setNotice, run } = useAction();
  const [token, setToken] = useState<{ instance: string; token: string }>();
  const [editing, setEditing] = useState<string>();

  const load = useCallback(async () => {
    try {
      const r = await api.call<{ instances: ListedInstance[]; next_cursor: string | null }>('GET', '/api/v1/admin/instances?limit=100');
      setInstances(r.instances);
      setCursor(r.next_cursor);
    } catch (err) {
      setError(describeError(err));
    }
  }, [api]);
  useEffect(() => {
    void load();
    const timer = setInterval(() => void load(), REFRESH_MS);
    return () => clearInterval(timer);
  }, [load]);

  const more = async () => {
    if (cursor === null) return;
    const r = await api.call<{ instances: ListedInstance[]; next_cursor: string | null }>('GET', `/api/v1/admin/instances?limit=100&cursor=${cursor}`);
    setInstances((list) => [...list, ...r.instances]);
    setCursor(r.next_cursor);
  };
  const rotate = (i: ListedInstance) =>
    void run(async () => {
      if (!confirm(`Give "${i.name}" a new token? The current one stops working at once.`)) return;
      const r = await api.call<{ instance_token: string }>('POST', `/api/v1/admin/instances/${i.instance_id}/token`);
      setToken({ instance: i.instance_id, token: r.instance_token });
    });
  const remove = (i: ListedInstance) =>
    void run(async () => {
      if (!confirm(`Delete "${i.name}"? Its number is logged out and its messages are deleted.`)) return;
      await api.call('DELETE', `/api/v1/admin/instances/${i.instance_id}`);
      setNotice(`Deleted ${i.name}.`);
      await load();
    });

  return (
    <section aria-labelledby="instances-title">
      <h2 id="instances-title">All instances</h2>
      <ErrorNote error={error} />
      {notice !== undefined && <Notice>{notice}</Notice>}
      {token !== undefined && (
        <div class="once" role="status">
          <p>
            New instance_token for <code>{token.instance}</code> (shown only now; copy it):
          </p>
          <code data-testid="new-token">{token.token}</code>
          <button type="button" class="secondary" onClick={() => setToken(undefined)}>
            Done
          </button>
        </div>
      )}
      <TableFrame label="Instances">
        <table>
          <TableHead columns={['Instance', 'User', 'Engine', 'State', 'Created', 'Actions']} />
          <tbody>
            {instances.map((i) => (
              <tr key={i.instance_id} data-instance-id={i.instance_id}>
                <td>
                  {i.name}
                  <div class="muted mono">{i.instance_id}</div>
                </td>
                <td>
                  {i.user_name}
                  <div class="muted mono">{i.user_id}</div>
                </td>
                <td>{i.engine}</td>
                <td>
                  <Badge status={i.state} /> {i.phone !== null && `+${i.phone}`}
                </td>
                <td>{when(i.created_at)}</td>
                <td>
                  <div class="actions">
                    <button type="button" class="secondary" aria-label={`Rotate token of ${i.name} (${i.instance_id})`} onClick={() => rotate(i)}>
                      Rotate token
                    </button>
                    {i.engine === 'cloud' && (
                      <button
                        type="button"
                        class="secondary"
                        aria-expanded={editing === i.instance_id}
                        onClick={() => setEditing(editing === i.instance_id ? undefined : i.instance_id)}
                      >
                        Cloud API settings
                      </button>
                    )}
                    <button type="button" class="danger" aria-label={`Delete ${i.name} (${i.instance_id})`} onClick={() => remove(i)}>
                      Delete
                    </button>
                  </div>
                  {editing === i.instance_id && <CloudSettings api={api} instanceId={i.instance_id} onDone={() => setEditing(undefined)} />}
                </td>
              </tr>
            ))}
          </tbody>
        </table>
      </TableFrame>
      {cursor !== null && (
        <button type="button" class="secondary" onClick={() => void run(more)}>
          More instances
        </button>
      )}
    </section>
  );
}
