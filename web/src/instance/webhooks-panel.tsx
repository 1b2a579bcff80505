/** The instance's webhook: its address and events (the secret shown once), the deliveries with retry, a replay from a time. */
import { useCallback, useEffect, useMemo, useState } from 'preact/hooks';
import { ApiFailure, describeError, type Api } from '../api.js';
import { debounce, useEvents, type EventBus } from '../bus.js';
import { WEBHOOK_EVENT_TYPES } from '../../../src/domain/webhook-events.js';
import { useAction } from '../use-action.js';
import { Badge, ErrorNote, Notice, TableFrame, when, TableHead } from '../ui.js';

const PENDING_RECHECK_MS = 1_500;

interface Endpoint {
  url: string;
  events: string[] | null;
  enabled: boolean;
  disabled_reason: string | null;
  secret?: string;
}
interface Delivery {
  id: number;
  event_id: string;
  type: string;
  status: string;
  attempts: number;
  last_response_status: number | null;
  last_error: string | null;
  created_at: string;
  delivered_at: string | null;
}

export function WebhooksPanel({ api, bus }: { api: Api; bus: EventBus }) {
  const [endpoint, setEndpoint] = useState<Endpoint | null>();
  const [url, setUrl] = useState('');
  const [events, setEvents] = useState<string[]>([]);
  const [secret, setSecret] = useState<string>();
  const [deliveries, setDeliveries] = useState<Delivery[]>([]);
  const [since, setSince] = useState('');
  const { error, setError, notice, setNotice, run } = useAction();

  const loadDeliveries = useCallback(async () => {
    const r = await api.call<{ deliveries: Delivery[] }>('GET', '/api/v1/webhooks/deliveries?limit=50');
    setDeliveries(r.deliveries);
  }, [api]);
  const load = useCallback(async () => {
    try {
      const e = await api.call<Endpoint>('GET', '/api/v1/instance/webhook').catch((err: unknown) => {
        if (err instanceof ApiFailure && err.status === 404) return null;
        throw err;
      });
      setEndpoint(e);
      if (e !== null) {
        setUrl(e.url);
        setEvents(e.events ?? []);
      }
      await loadDeliveries();
    } catch (err) {
      setError(describeError(err));
    }
  }, [api, loadDeliveries]);
  useEffect(() => void load(), [load]);
  const refresh = useMemo(() => debounce(() => void loadDeliveries().catch(() => {}), 500), [loadDeliveries]);
  useEvents(bus, () => refresh(), [refresh]);
  // A delivery in flight ends without an event of its own: look again while one is pending.
  useEffect(() => {
    if (!deliveries.some((d) => d.status === 'pending')) return;
    const timer = setTimeout(() => void loadDeliveries().catch(() => {}), PENDING_RECHECK_MS);
    return () => clearTimeout(timer);
  }, [deliveries, loadDeliveries]);

  const save = (e: Event) => {
    e.preventDefault();
    void run(async () => {
      const saved = await api.call<Endpoint>('PUT', '/api/v1/instance/webhook', { url: url.trim(), ...(events.length > 0 ? { events } : {}) });
      setSecret(saved.secret);
      setEndpoint(saved);
      setNotice('Webhook saved.');
    });
  };
  const remove = () =>
    void run(async () => {
      if (!confirm('Delete this webhook? Events not yet delivered are dropped.')) return;
      await api.call('DELETE', '/api/v1/instance/webhook');
      setEndpoint(null);
      setSecret(undefined);
      setNotice('Webhook deleted.');
    });
  const retry = (id: number) =>
    void run(async () => {
      await api.call('POST', `/api/v1/webhooks/deliveries/${id}/retry`);
      setNotice(`Delivery ${id} will be tried again now.`);
      await loadDeliveries();
    });
  const replay = (e: Event) => {
    e.preventDefault();
    void run(async () => {
      const r = await api.call<{ replayed: number }>('POST', '/api/v1/webhooks/replay', { since: new Date(since).toISOString() });
      setNotice(`${r.replayed} events will be delivered again.`);
      await loadDeliveries();
    });
  };
  const toggle = (t: string) => setEvents((list) => (list.includes(t) ? list.filter((x) => x !== t) : [...list, t]));

  return (
    <section aria-labelledby="webhook-title">
      <h2 id="webhook-title">Webhook</h2>
      <ErrorNote error={error} />
      {notice !== undefined && <Notice>{notice}</Notice>}
      {endpoint?.enabled === false && <p class="error">Disabled: {endpoint.disabled_reason ?? 'by the receiver'}. Save it again to resume.</p>}
      <form class="stack" onSubmit={save}>
        <label>
          Receiver URL
          <input name="webhook_url" type="url" required value={url} onInput={(e) => setUrl(e.currentTarget.value)} />
        </label>
        <fieldset>
          <legend>Events (none ticked: all)</legend>
          <div class="checks">
            {WEBHOOK_EVENT_TYPES.map((t) => (
              <label key={t}>
                <input type="checkbox" checked={events.includes(t)} onChange={() => toggle(t)} /> {t}
              </label>
            ))}
          </div>
        </fieldset>
        <div class="actions">
          <button type="submit">Save webhook</button>
          {endpoint !== null && endpoint !== undefined && (
            <button type="button" class="danger" onClick={remove}>
              Delete webhook
            </button>
          )}
        </div>
      </form>
      {secret !== undefined && (
        <p class="once" role="status">
          Signing secret (shown only now): <code>{secret}</code>
        </p>
      )}
      <h2>Deliveries</h2>
      {deliveries.length === 0 ? (
        <p>No deliveries yet.</p>
      ) : (
        <TableFrame label="Webhook deliveries">
          <table>
            <TableHead columns={['Created', 'Event', 'Delivery', 'Attempts', 'Last answer', 'Action']} />
            <tbody>
              {deliveries.map((d) => (
                <tr key={d.id} data-delivery-id={d.id}>
                  <td>{when(d.created_at)}</td>
                  <td>{d.type}</td>
                  <td>
                    <Badge status={d.status} />
                  </td>
                  <td>{d.attempts}</td>
                  <td>{d.last_response_status ?? d.last_error ?? '—'}</td>
                  <td>
                    <button type="button" class="secondary" aria-label={`Retry delivery ${d.id}`} onClick={() => retry(d.id)}>
                      Retry
                    </button>
                  </td>
                </tr>
              ))}
            </tbody>
          </table>
        </TableFrame>
      )}
      <form class="inline" onSubmit={replay}>
        <label>
          Deliver again every event since
          <input name="since" type="datetime-local" required value={since} onInput={(e) => setSince(e.currentTarget.value)} />
        </label>
        <button type="submit">Replay</button>
      </form>
    </section>
  );
}
