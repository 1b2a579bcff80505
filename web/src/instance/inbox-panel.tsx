/** What the sandbox's simulated WhatsApp received, newest first. */
import { useCallback, useEffect, useMemo, useState } from 'preact/hooks';
import { describeError, type Api } from '../api.js';
import { debounce, useEvents, type EventBus } from '../bus.js';
import { ErrorNote, TableFrame, when, TableHead } from '../ui.js';

interface Entry {
  id: number;
  message_id: string;
  part: number;
  phone: string;
  type: string;
  text: string | null;
  media: { mime: string; size: number; filename: string | null } | null;
  delivered_at: string | null;
  read_at: string | null;
}

export function InboxPanel({ api, bus }: { api: Api; bus: EventBus }) {
  const [entries, setEntries] = useState<Entry[]>([]);
  const [error, setError] = useState<string>();
  const load = useCallback(async () => {
    try {
      setEntries((await api.call<{ messages: Entry[] }>('GET', '/api/v1/sandbox/messages?limit=50')).messages);
    } catch (err) {
      setError(describeError(err));
    }
  }, [api]);
  useEffect(() => void load(), [load]);
  const refresh = useMemo(() => debounce(() => void load(), 300), [load]);
  useEvents(bus, (e) => e.type.startsWith('message.') && refresh(), [refresh]);

  return (
    <section aria-labelledby="inbox-title">
      <h2 id="inbox-title">Received by the simulated WhatsApp</h2>
      <ErrorNote error={error} />
      {entries.length === 0 ? (
        <p>Nothing received yet.</p>
      ) : (
        <TableFrame label="Sandbox inbox">
          <table>
            <TableHead columns={['Phone', 'Type', 'Content', 'Delivered', 'Read']} />
            <tbody>
              {entries.map((e) => (
                <tr key={e.id}>
                  <td>{e.phone}</td>
                  <td>{e.type}</td>
                  <td>{e.text ?? (e.media === null ? '—' : `${e.media.filename ?? e.media.mime} (${e.media.size} bytes)`)}</td>
                  <td>{when(e.delivered_at)}</td>
                  <td>{when(e.read_at)}</td>
                </tr>
              ))}
            </tbody>
          </table>
        </TableFrame>
      )}
    </section>
  );
}
