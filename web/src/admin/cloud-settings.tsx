/** Replaces some of a Cloud API instance's settings (a new access token, say); fields left empty stay as they are. */
import { useState } from 'preact/hooks';
import { describeError, type Api } from '../api.js';
import { ErrorNote, Notice } from '../ui.js';

const FIELDS = [
  ['access_token', 'Access token', 'password'],
  ['app_secret', 'App secret', 'password'],
  ['verify_token', 'Verify token', 'password'],
  ['phone_number_id', 'Phone number id', 'text'],
  ['throughput', 'Messages per second', 'number'],
] as const;

export function CloudFields({ values, onChange }: { values: Record<string, string>; onChange: (name: string, value: string) => void }) {
  return (
    <>
      {FIELDS.map(([name, label, type]) => {
        const common = {
          name,
          autoComplete: 'off',
          value: values[name] ?? '',
          onInput: (e: { currentTarget: HTMLInputElement }) => onChange(name, e.currentTarget.value),
        };
        return (
          <label key={name}>
            {label}
            {type === 'password' ? (
              <input type="password" {...common} />
            ) : type === 'number' ? (
              <input type="number" min={1} {...common} />
            ) : (
              <input type="text" {...common} />
            )}
          </label>
        );
      })}
    </>
  );
}

/** The non-empty fields as the API takes them (throughput a number). */
export function cloudConfig(values: Record<string, string>): Record<string, string | number> {
  const out: Record<string, string | number> = {};
  for (const [k, v] of Object.entries(values)) if (v.trim() !== '') out[k] = k === 'throughput' ? Number(v) : v.trim();
  return out;
}

export function CloudSettings({ api, instanceId, onDone }: { api: Api; instanceId: string; onDone: () => void }) {
  const [values, setValues] = useState<Record<string, string>>({});
  const [error, setError] = useState<string>();
  const [saved, setSaved] = useState(false);
  const submit = async (e: Event) => {
    e.preventDefault();
    try {
      await api.call('PATCH', `/api/v1/admin/instances/${instanceId}`, { config: cloudConfig(values) });
      setSaved(true);
      setValues({});
    } catch (err) {
      setError(describeError(err));
    }
  };
  return (
    <form class="stack nested" onSubmit={submit} aria-label="Cloud API settings">
      <CloudFields values={values} onChange={(k, v) => setValues((o) => ({ ...o, [k]: v }))} />
      <div class="actions">
        <button type="submit">Save settings</button>
        <button type="button" class="secondary" onClick={onDone}>
          Close
        </button>
      </div>
      <ErrorNote error={error} />
      {saved && <Notice>Saved. Secrets are never shown again.</Notice>}
    </form>
  );
}
