/** The message log: newest first, filtered by status and phone, each with its badge and timeline, updated live. */
import { useCallback, useEffect, useMemo, useState } from 'preact/hooks';
import { describeError, type Api } from '../api.js';
import { debounce, useEvents, type EventBus } from '../bus.js';
import { Badge, ErrorNote, TableFrame, when, TableHead } from '../ui.js';

interface Message {
  message_id: string;
  status: string;
  phone: string;
  type: string;
  created_at: string;
  attempts: number;
  error: { code: string; message: string } | null;
  provider_message_id: string | null;
}
interface TimelineEntry {
  status: string;
  at: string;
  code: string | null;
  detail: string | null;
}

const STATUSES = ['queued', 'sending', 'sent', 'delivered', 'read', 'failed'];
const RANK: Record<string, number> = { queued: 0, sending: 1, sent: 2, delivered: 3, read: 4, failed: 5 };

function Timeline({ api, id }: { api: Api; id: string }) {
  const [events, setEvents] = useState<TimelineEntry[]>();
  const [error, setError] = useState<string>();
  useEffect(() => {
    api
      .call<{ events: TimelineEntry[] }>('GET', `/api/v1/message/${id}`)
      .then((m) => setEvents(m.events))
      .catch((err: unknown) => setError(describeError(err)));
  }, [api, id]);
  if (error !== undefined) return <ErrorNote error={error} />;
  if (events === undefined) return <p>Loading…</p>;
  return (
    <ol class="timeline" aria-label="Timeline">
      {events.map((e, i) => (
        <li key={i}>
          <Badge status={e.status} /> {when(e.at)}
          {e.code !== null && <span class="muted"> {e.code}</span>}
          {e.detail !== null && <span class="muted"> — {e.detail}</span>}
        </li>
      ))}
    </ol>
  );
}

export function MessagesPanel({ api, bus }: { api: Api; bus: EventBus }) {
  const [messages, setMessages] = useState<Message[]>([]);
  const [cursor, setCursor] = useState<string | null>(null);
  const [status, setStatus] = useState('');
  const [phone, setPhone] = useState('');
  const [filter, setFilter] = useState({ status: '', phone: '' });
  const [open, setOpen] = useState<string>();
  const [error, setError] = useState<string>();

  const query = useCallback(
    (after: string | null) => {
      const q = new URLSearchParams({ limit: '50' });
      if (filter.status !== '') q.set('status', filter.status);
      if (filter.phone !== '') q.set('phone', filter.phone);
      if (after !== null) q.set('cursor', after);
      return api.call<{ messages: Message[]; next_cursor: string | null }>('GET', `/api/v1/messages?${q.toString()}`);
    },
    [api, filter],
  );
  const load = useCallback(async () => {
    try {
      const page = await query(null);
      setMessages(page.messages);
      setCursor(page.next_cursor);
      setError(undefined);
    } catch (err) {
      setError(describeError(err));
    }
  }, [query]);
  useEffect(() => void load(), [load]);
  const reload = useMemo(() => debounce(() => void load(), 300), [load]);

  useEvents(
    bus,
    (e) => {
      if (!e.type.startsWith('message.') || !['sent', 'delivered', 'read', 'failed'].includes(String(e.data['status']))) return;
      const id = String(e.data['message_id']);
      const status = String(e.data['status']);
      let known = false;
      setMessages((list) =>
        list.map((m) => {
          if (m.message_id !== id) return m;
          known = true;
          // Forward only, as on the server: a late event never moves a badge back.
          return (RANK[status] ?? 0) > (RANK[m.status] ?? 0) ? { ...m, status, error: (e.data['error'] as Message['error']) ?? m.error } : m;
        }),
      );
      if (!known) reload();
    },
    [reload],
  );

  const more = async () => {
    if (cursor === null) return;
    try {
      const page = await query(cursor);
      setMessages((list) => [...list, ...page.messages]);
      setCursor(page.next_cursor);
    } catch (err) {
      setError(describeError(err));
    }
  };

  return (
    <section aria-labelledby="log-title">
      <h2 id="log-title">Message log</h2>
      <form
        class="filters"
        onSubmit={(e) => {
          e.preventDefault();
          setFilter({ status, phone: phone.trim() });
        }}
      >
        <label>
          Status
          <select name="status" value={status} onChange={(e) => setStatus(e.currentTarget.value)}>
            <option value="">all</option>
            {STATUSES.map((s) => (
              <option key={s} value={s}>
                {s}
              </option>
            ))}
          </select>
        </label>
        <label>
          Phone
          <input name="phone" inputMode="tel" value={phone} onInput={(e) => setPhone(e.currentTarget.value)} />
        </label>
        <button type="submit">Filter</button>
        <button type="button" class="secondary" onClick={() => void load()}>
          Refresh
        </button>
      </form>
      <ErrorNote error={error} />
      {messages.length === 0 ? (
        <p>No messages yet.</p>
      ) : (
        <TableFrame label="Messages">
          <table>
            <TableHead columns={['Accepted', 'Phone', 'Type', 'Status', 'Details']} />
            <tbody>
              {messages.map((m) => (
                <tr key={m.message_id} data-message-id={m.message_id}>
                  <td>{when(m.created_at)}</td>
                  <td>{m.phone}</td>
                  <td>{m.type}</td>
                  <td>
                    <Badge status={m.status} />
                    {m.error !== null && <div class="muted">{m.error.code}</div>}
                  </td>
                  <td>
                    <button
                      type="button"
                      class="link"
                      aria-expanded={open === m.message_id}
                      onClick={() => setOpen(open === m.message_id ? undefined : m.message_id)}
                    >
                      Timeline
                    </button>
                    {open === m.message_id && <Timeline key={m.status} api={api} id={m.message_id} />}
                  </td>
                </tr>
              ))}
            </tbody>
          </table>
        </TableFrame>
      )}
      {cursor !== null && (
        <button type="button" class="secondary" onClick={() => void more()}>
          Older messages
        </button>
      )}
    </section>
  );
}
