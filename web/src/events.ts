/**
 * The live event stream, read with fetch (EventSource cannot send an
 * Authorization header): each event is handed on as it arrives; a dropped
 * connection is reopened with Last-Event-ID, so nothing is missed or repeated.
 */
import { createParser } from 'eventsource-parser';
import type { Api } from './api.js';

export interface LiveEvent {
  id: string;
  type: string;
  created_at: string;
  instance_id: string;
  data: Record<string, unknown>;
}

export type StreamState = 'connecting' | 'live' | 'reconnecting' | 'closed';

export function followEvents(api: Api, onEvent: (e: LiveEvent) => void, onState: (s: StreamState) => void): () => void {
  const controller = new AbortController();
  let lastId: string | undefined;
  let delay = 1000;

  const once = async (): Promise<'again' | 'stop'> => {
    const headers: Record<string, string> = { accept: 'text/event-stream' };
    if (lastId !== undefined) headers['last-event-id'] = lastId;
    const res = await api.raw('GET', '/api/v1/events', undefined, headers, controller.signal);
    if (res.status === 401 || res.status === 403) return 'stop';
    if (!res.ok || res.body === null) return 'again';
    onState('live');
    delay = 1000;
    let ended = false;
    const parser = createParser({
      onEvent: (m) => {
        if (m.event === 'stream.closed') ended = true;
        if (m.id === undefined) return;
        lastId = m.id;
        onEvent(JSON.parse(m.data) as LiveEvent);
      },
    });
    const reader = res.body.pipeThrough(new TextDecoderStream()).getReader();
    for (;;) {
      const { done, value } = await reader.read();
      if (done) break;
      parser.feed(value);
    }
    return ended ? 'stop' : 'again';
  };

  void (async () => {
    onState('connecting');
    while (!controller.signal.aborted) {
      const next = await once().catch(() => 'again' as const);
      if (next === 'stop' || controller.signal.aborted) break;
      onState('reconnecting');
      await new Promise((r) => setTimeout(r, delay));
      delay = Math.min(delay * 2, 15_000);
    }
    onState('closed');
  })();
  return () => controller.abort();
}
