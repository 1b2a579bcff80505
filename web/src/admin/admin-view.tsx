/** The administrator's view: every instance (create, delete, rotate a token, Cloud API settings) and the cluster. */
import { useEffect, useMemo, useState } from 'preact/hooks';
import { Api, type Credentials } from '../api.js';
import { EventBus } from '../bus.js';
import { followEvents, type StreamState } from '../events.js';
import { Shell } from '../shell.js';
import { ClusterPanel } from './cluster-panel.js';
import { CreatePanel } from './create-panel.js';
import { InstancesPanel } from './instances-panel.js';

export function AdminView({ credentials, onSignOut }: { credentials: Extract<Credentials, { kind: 'admin' }>; onSignOut: () => void }) {
  const api = useMemo(() => new Api(credentials), [credentials]);
  const bus = useMemo(() => new EventBus(), []);
  const [stream, setStream] = useState<StreamState>('connecting');
  const [tab, setTab] = useState('instances');
  useEffect(() => followEvents(api, (e) => bus.emit(e), setStream), [api, bus]);
  const tabs = [
    { id: 'instances', label: 'Instances' },
    { id: 'create', label: 'New user or instance' },
    { id: 'cluster', label: 'Cluster' },
  ];
  const titles: Record<string, string> = { instances: 'Instances', create: 'New user or instance', cluster: 'Cluster' };
  return (
    <Shell title={titles[tab] ?? 'Admin'} who="administrator" stream={stream} tabs={tabs} current={tab} onTab={setTab} onSignOut={onSignOut}>
      {tab === 'instances' && <InstancesPanel api={api} bus={bus} />}
      {tab === 'create' && <CreatePanel api={api} />}
      {tab === 'cluster' && <ClusterPanel api={api} />}
    </Shell>
  );
}
