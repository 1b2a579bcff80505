/**
 * The administrator's view: every instance (create, delete, rotate a token,
 * Cloud API settings) and the cluster. It refreshes by reading the list again
 * rather than streaming every instance's events: a stream of all instances would
 * have every event of every instance written to the event log for as long as
 * events are kept.
 */
import { useMemo, useState } from 'preact/hooks';
import { Api, type Credentials } from '../api.js';
import { Shell } from '../shell.js';
import { ClusterPanel } from './cluster-panel.js';
import { CreatePanel } from './create-panel.js';
import { InstancesPanel } from './instances-panel.js';

export function AdminView({ credentials, onSignOut }: { credentials: Extract<Credentials, { kind: 'admin' }>; onSignOut: () => void }) {
  const api = useMemo(() => new Api(credentials), [credentials]);
  const [tab, setTab] = useState('instances');
  const tabs = [
    { id: 'instances', label: 'Instances' },
    { id: 'create', label: 'New user or instance' },
    { id: 'cluster', label: 'Cluster' },
  ];
  const titles: Record<string, string> = { instances: 'Instances', create: 'New user or instance', cluster: 'Cluster' };
  return (
    <Shell title={titles[tab] ?? 'Admin'} who="administrator" tabs={tabs} current={tab} onTab={setTab} onSignOut={onSignOut}>
      {tab === 'instances' && <InstancesPanel api={api} />}
      {tab === 'create' && <CreatePanel api={api} />}
      {tab === 'cluster' && <ClusterPanel api={api} />}
    </Shell>
  );
}
