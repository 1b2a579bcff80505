/** A server-sent events client for tests: fetch with the credentials in a header, parsed by eventsource-parser. */
import { createParser, type EventSourceMessage } from 'eventsource-parser';

export interface StreamedEvent {
  id: number;
  type: string;
  body: { id: string; type: string; created_at: string; instance_id: string; data: Record<string, unknown> };
}

export interface EventStream {
  status: number;
  /** The error body when the stream was refused. */
  error: unknown;
  events: StreamedEvent[];
  /** Named events without an id (e.g. `stream.closed`). */
  notices: EventSourceMessage[];
  ended: Promise<void>;
  /** Resolves once `n` events have arrived (or throws after `timeoutMs`). */
  waitForCount(n: number, timeoutMs?: number): Promise<StreamedEvent[]>;
  close(): void;
}

export async function openEventStream(url: string, authorization: string, lastEventId?: number, query = ''): Promise<EventStream> {
  const controller = new AbortController();
  const headers: Record<string, string> = { authorization, accept: 'text/event-stream' };
  if (lastEventId !== undefined) headers['last-event-id'] = String(lastEventId);
  const res = await fetch(`${url}/api/v1/events${query}`, { headers, signal: controller.signal });
  const events: StreamedEvent[] = [];
  const notices: EventSourceMessage[] = [];
  let changed: () => void = () => {};
  if (res.status !== 200 || res.body === null) {
    const error = await res.json().catch(() => null);
    return { status: res.status, error, events, notices, ended: Promise.resolve(), waitForCount: () => Promise.reject(new Error('refused')), close: () => {} };
  }
  const parser = createParser({
    onEvent: (e) => {
      if (e.id === undefined) notices.push(e);
      else events.push({ id: Number(e.id), type: e.event ?? 'message', body: JSON.parse(e.data) as StreamedEvent['body'] });
      changed();
    },
  });
  const reader = res.body.pipeThrough(new TextDecoderStream()).getReader();
  const ended = (async () => {
    try {
      for (;;) {
        const { done, value } = await reader.read();
        if (done) break;
        parser.feed(value);
      }
    } catch {
      // closed by the test
    }
    changed();
  })();
  let over = false;
  void ended.then(() => (over = true));
  return {
    status: 200,
    error: null,
    events,
    notices,
    ended,
    async waitForCount(n, timeoutMs = 10_000) {
      const deadline = Date.now() + timeoutMs;
      while (events.length < n) {
        if (over) throw new Error(`stream ended after ${events.length} of ${n} events`);
        const left = deadline - Date.now();
        if (left <= 0) throw new Error(`timed out with ${events.length} of ${n} events`);
        await new Promise<void>((resolve) => {
          changed = resolve;
          setTimeout(resolve, Math.min(left, 200));
        });
      }
      return events.slice(0, n);
    },
    close: () => controller.abort(),
  };
}
