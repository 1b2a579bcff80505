/** The frame of a signed-in view: title, who is signed in, the live stream's state, the tabs. */
import type { ComponentChildren } from 'preact';
import type { StreamState } from './events.js';

export interface Tab {
  id: string;
  label: string;
}

export function Shell(props: {
  title: string;
  who: string;
  /** The live stream's state; none for a view that refreshes by itself. */
  stream?: StreamState;
  tabs: Tab[];
  current: string;
  onTab: (id: string) => void;
  onSignOut: () => void;
  children: ComponentChildren;
}) {
  return (
    <div class="shell">
      <header>
        <div class="brand">
          <span class="logo" aria-hidden="true">
            ◆
          </span>{' '}
          Connexa
        </div>
        <div class="who">
          <span>{props.who}</span>
          {props.stream !== undefined && (
            <span class={`live live-${props.stream}`} role="status" aria-label={`Live updates: ${props.stream}`}>
              {props.stream}
            </span>
          )}
          <button type="button" class="secondary" onClick={props.onSignOut}>
            Sign out
          </button>
        </div>
        <nav aria-label="Sections">
          {props.tabs.map((t) => (
            <button type="button" key={t.id} class="tab" aria-current={t.id === props.current ? 'page' : undefined} onClick={() => props.onTab(t.id)}>
              {t.label}
            </button>
          ))}
        </nav>
      </header>
      <main>
        <h1>{props.title}</h1>
        {props.children}
      </main>
    </div>
  );
}
