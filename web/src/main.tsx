/** The dashboard: sign in, then the instance's or the administrator's view. */
import { render } from 'preact';
import { useState } from 'preact/hooks';
import type { Credentials } from './api.js';
import { AdminView } from './admin/admin-view.js';
import { InstanceView } from './instance/instance-view.js';
import { SignIn } from './sign-in.js';

const KEY = 'connexa.credentials';

function stored(): Credentials | undefined {
  try {
    const raw = sessionStorage.getItem(KEY);
    return raw === null ? undefined : (JSON.parse(raw) as Credentials);
  } catch {
    return undefined;
  }
}

function App() {
  const [credentials, setCredentials] = useState<Credentials | undefined>(stored);
  const signIn = (c: Credentials) => {
    sessionStorage.setItem(KEY, JSON.stringify(c));
    setCredentials(c);
  };
  const signOut = () => {
    sessionStorage.removeItem(KEY);
    setCredentials(undefined);
  };
  if (credentials === undefined) return <SignIn onSignedIn={signIn} />;
  return credentials.kind === 'admin' ? (
    <AdminView credentials={credentials} onSignOut={signOut} />
  ) : (
    <InstanceView credentials={credentials} onSignOut={signOut} />
  );
}

const root = document.getElementById('app');
if (root !== null) {
  root.replaceChildren();
  render(<App />, root);
}
