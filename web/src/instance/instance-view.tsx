/** An instance's view: its state and linking, the message log, the send form, webhooks, the sandbox inbox; live from the event stream. */
import { useEffect, useMemo, useState } from 'preact/hooks';
import { Api, type Credentials } from '../api.js';
import { EventBus } from '../bus.js';
import { followEvents, type StreamState } from '../events.js';
import { Shell, type Tab } from '../shell.js';
import { InboxPanel } from './inbox-panel.js';
import { MessagesPanel } from './messages-panel.js';
import { SendPanel } from './send-panel.js';
import { StatusPanel, type InstanceState } from './status-panel.js';
import { WebhooksPanel } from './webhooks-panel.js';

export function InstanceView({ credentials, onSignOut }: { credentials: Extract<Credentials, { kind: 'instance' }>; onSignOut: () => void }) {
  const api = useMemo(() => new Api(credentials), [credentials]);
  const bus = useMemo(() => new EventBus(), []);
  const [stream, setStream] = useState<StreamState>('connecting');
  const [tab, setTab] = useState('status');
  const [instance, setInstance] = useState<InstanceState>();

  useEffect(() => followEvents(api, (e) => bus.emit(e), setStream), [api, bus]);

  const tabs: Tab[] = [
    { id: 'status', label: 'Status' },
    { id: 'messages', label: 'Messages' },
    { id: 'send', label: 'Send' },
    { id: 'webhooks', label: 'Webhooks' },
    ...(instance?.engine === 'sandbox' ? [{ id: 'inbox', label: 'Sandbox inbox' }] : []),
  ];
  const titles: Record<string, string> = { status: 'Instance', messages: 'Messages', send: 'Send a message', webhooks: 'Webhooks', inbox: 'Sandbox inbox' };
  return (
    <Shell
      title={titles[tab] ?? 'Instance'}
      who={`user ${credentials.userId.slice(0, 8)}…`}
      stream={stream}
      tabs={tabs}
      current={tab}
      onTab={setTab}
      onSignOut={onSignOut}
    >
      {/* The status panel stays mounted: it knows the engine the tabs depend on. */}
      <div hidden={tab !== 'status'}>
        <StatusPanel api={api} bus={bus} onState={setInstance} />
      </div>
      {tab === 'messages' && <MessagesPanel api={api} bus={bus} />}
      {tab === 'send' && <SendPanel api={api} />}
      {tab === 'webhooks' && <WebhooksPanel api={api} bus={bus} />}
      {tab === 'inbox' && <InboxPanel api={api} bus={bus} />}
    </Shell>
  );
}
