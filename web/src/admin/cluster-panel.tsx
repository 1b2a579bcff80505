/** The nodes sharing the database, the instances each holds, and the latest lease moves. */
import { useEffect, useState } from 'preact/hooks';
import { describeError, type Api } from '../api.js';
import { ErrorNote, TableFrame, when, TableHead } from '../ui.js';

interface ClusterView {
  database: string;
  node_id: string;
  lease_ms: number | null;
  nodes: {
    node_id: string;
    url: string | null;
    alive: boolean;
    stopping: boolean;
    instances: number;
    started_at: string | null;
    last_heartbeat_at: string | null;
  }[];
  moves: { instance_id: string; from_node: string | null; to_node: string | null; epoch: number; reason: string; at: string }[];
}

export function ClusterPanel({ api }: { api: Api }) {
  const [view, setView] = useState<ClusterView>();
  const [error, setError] = useState<string>();
  useEffect(() => {
    const load = () =>
      api
        .call<ClusterView>('GET', '/api/v1/admin/cluster')
        .then(setView)
        .catch((err: unknown) => setError(describeError(err)));
    void load();
    const timer = setInterval(() => void load(), 5_000);
    return () => clearInterval(timer);
  }, [api]);
  if (view === undefined) return <ErrorNote error={error} />;
  return (
    <section aria-labelledby="cluster-title">
      <h2 id="cluster-title">Nodes</h2>
      <p>
        Database: <strong>{view.database}</strong>; this answer came from node <code>{view.node_id}</code>.
        {view.database === 'sqlite' && ' One node (SQLite): leases are kept on PostgreSQL only.'}
      </p>
      <TableFrame label="Node list">
        <table>
          <TableHead columns={['Node', 'Alive', 'Instances held', 'Started', 'Last heartbeat']} />
          <tbody>
            {view.nodes.map((n) => (
              <tr key={n.node_id}>
                <td>
                  {n.node_id}
                  {n.url !== null && <div class="muted">{n.url}</div>}
                </td>
                <td>{n.alive ? (n.stopping ? 'stopping' : 'yes') : 'no'}</td>
                <td>{n.instances}</td>
                <td>{when(n.started_at)}</td>
                <td>{when(n.last_heartbeat_at)}</td>
              </tr>
            ))}
          </tbody>
        </table>
      </TableFrame>
      {view.moves.length > 0 && (
        <>
          <h2>Lease moves</h2>
          <TableFrame label="Lease move list">
            <table>
              <TableHead columns={['When', 'Instance', 'From', 'To', 'Why']} />
              <tbody>
                {view.moves.map((m) => (
                  <tr key={`${m.instance_id}-${m.epoch}`}>
                    <td>{when(m.at)}</td>
                    <td class="mono">{m.instance_id}</td>
                    <td>{m.from_node ?? '—'}</td>
                    <td>{m.to_node ?? '—'}</td>
                    <td>{m.reason}</td>
                  </tr>
                ))}
              </tbody>
            </table>
          </TableFrame>
        </>
      )}
    </section>
  );
}
