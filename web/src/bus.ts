/** Hands the live events of a view to the panels that want them. */
import { useEffect } from 'preact/hooks';
import type { LiveEvent } from './events.js';

export class EventBus {
  private readonly listeners = new Set<(e: LiveEvent) => void>();

  emit(e: LiveEvent): void {
    for (const fn of this.listeners) fn(e);
  }

  on(fn: (e: LiveEvent) => void): () => void {
    this.listeners.add(fn);
    return () => this.listeners.delete(fn);
  }
}

/** Calls `fn` for each event while the component is shown. */
export function useEvents(bus: EventBus, fn: (e: LiveEvent) => void, deps: unknown[]): void {
  useEffect(() => bus.on(fn), [bus, ...deps]);
}

/** Runs `fn` at most once per `ms` while events keep coming (a refresh after a burst). */
export function debounce(fn: () => void, ms: number): () => void {
  let timer: ReturnType<typeof setTimeout> | undefined;
  return () => {
    if (timer !== undefined) return;
    timer = setTimeout(() => {
      timer = undefined;
      fn();
    }, ms);
  };
}
