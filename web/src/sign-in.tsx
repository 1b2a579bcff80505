/** Sign in with an instance's user_id + instance_token, or with the admin token; kept for this tab only (session storage). */
import { useState } from 'preact/hooks';
import { Api, describeError, type Credentials } from './api.js';
import { ErrorNote } from './ui.js';

export function SignIn({ onSignedIn }: { onSignedIn: (c: Credentials) => void }) {
  const [mode, setMode] = useState<'instance' | 'admin'>('instance');
  const [userId, setUserId] = useState('');
  const [token, setToken] = useState('');
  const [error, setError] = useState<string>();
  const [busy, setBusy] = useState(false);

  const submit = async (e: Event) => {
    e.preventDefault();
    const c: Credentials = mode === 'admin' ? { kind: 'admin', token: token.trim() } : { kind: 'instance', userId: userId.trim(), token: token.trim() };
    setBusy(true);
    setError(undefined);
    try {
      // A call that needs exactly these credentials checks them.
      await new Api(c).call('GET', mode === 'admin' ? '/api/v1/admin/instances?limit=1' : '/api/v1/instance');
      onSignedIn(c);
    } catch (err) {
      setError(describeError(err));
    } finally {
      setBusy(false);
    }
  };

  return (
    <main class="sign-in">
      <h1>Connexa</h1>
      <form onSubmit={submit} aria-labelledby="sign-in-title">
        <h2 id="sign-in-title">Sign in</h2>
        <fieldset>
          <legend>Sign in as</legend>
          <label>
            <input type="radio" name="mode" checked={mode === 'instance'} onChange={() => setMode('instance')} /> an instance (user_id and instance_token)
          </label>
          <label>
            <input type="radio" name="mode" checked={mode === 'admin'} onChange={() => setMode('admin')} /> the administrator (admin token)
          </label>
        </fieldset>
        {mode === 'instance' && (
          <label>
            user_id
            <input name="user_id" autoComplete="username" required value={userId} onInput={(e) => setUserId(e.currentTarget.value)} />
          </label>
        )}
        <label>
          {mode === 'admin' ? 'Admin token' : 'instance_token'}
          <input name="token" type="password" autoComplete="current-password" required value={token} onInput={(e) => setToken(e.currentTarget.value)} />
        </label>
        <button type="submit" disabled={busy}>
          {busy ? 'Signing in…' : 'Sign in'}
        </button>
        <ErrorNote error={error} />
        <p class="hint">The token stays in this browser tab only and is sent in a header, never in a link.</p>
      </form>
    </main>
  );
}
