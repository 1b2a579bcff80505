/** The instance's state; for a WhatsApp number: the live QR (it rotates), a pairing code, logout and restart. */
import { useCallback, useEffect, useMemo, useState } from 'preact/hooks';
import { ApiFailure, describeError, type Api } from '../api.js';
import { debounce, useEvents, type EventBus } from '../bus.js';
import { Badge, ErrorNote, Notice, when } from '../ui.js';

export interface InstanceState {
  instance_id: string;
  engine: string;
  state: string;
  reason: string | null;
  phone: string | null;
  since: string | null;
  waiting: number;
  restricted_until: string | null;
}

export function StatusPanel({ api, bus, onState }: { api: Api; bus: EventBus; onState: (s: InstanceState) => void }) {
  const [state, setState] = useState<InstanceState>();
  const [qr, setQr] = useState<string>();
  const [error, setError] = useState<string>();
  const [notice, setNotice] = useState<string>();
  const [phone, setPhone] = useState('');
  const [pairing, setPairing] = useState<string>();

  const load = useCallback(async () => {
    try {
      const s = await api.call<InstanceState>('GET', '/api/v1/instance');
      setState(s);
      onState(s);
      setError(undefined);
    } catch (err) {
      setError(describeError(err));
    }
  }, [api, onState]);

  const loadQr = useCallback(async () => {
    const res = await api.raw('GET', '/api/v1/instance/qr', undefined, { accept: 'image/png' });
    if (res.status !== 200) return setQr(undefined);
    const url = URL.createObjectURL(await res.blob());
    setQr((old) => {
      if (old !== undefined) URL.revokeObjectURL(old);
      return url;
    });
  }, [api]);

  useEffect(() => void load(), [load]);
  useEffect(() => {
    if (state?.state !== 'qr') return setQr(undefined);
    void loadQr();
    // A QR code lives about 20 s; the event stream announces each new one, this is the fallback.
    const timer = setInterval(() => void loadQr(), 15_000);
    return () => clearInterval(timer);
  }, [state?.state, loadQr]);

  const refresh = useMemo(() => debounce(() => void load(), 250), [load]);
  useEvents(
    bus,
    (e) => {
      if (e.type === 'instance.qr') void loadQr();
      if (e.type.startsWith('instance.') || e.type.startsWith('message.')) refresh();
    },
    [loadQr, refresh],
  );

  const act = async (what: 'logout' | 'restart') => {
    if (what === 'logout' && !confirm('Log this WhatsApp number out? Linking it again needs the phone.')) return;
    try {
      await api.call('POST', `/api/v1/instance/${what}`);
      setNotice(what === 'logout' ? 'Logged out.' : 'Restarting…');
      await load();
    } catch (err) {
      setError(describeError(err));
    }
  };

  const requestPairing = async (e: Event) => {
    e.preventDefault();
    try {
      const r = await api.call<{ code: string }>('POST', '/api/v1/instance/pairing-code', { phone });
      setPairing(r.code);
      setError(undefined);
    } catch (err) {
      setError(err instanceof ApiFailure ? describeError(err) : String(err));
    }
  };

  if (state === undefined) return <ErrorNote error={error} />;
  const links = state.engine === 'baileys';
  return (
    <section aria-labelledby="state-title">
      <h2 id="state-title">State</h2>
      <dl class="facts">
        <dt>State</dt>
        <dd>
          <Badge status={state.state} /> {state.reason !== null && <span class="muted">({state.reason})</span>}
        </dd>
        <dt>Engine</dt>
        <dd>{state.engine}</dd>
        <dt>Linked number</dt>
        <dd data-testid="linked-phone">{state.phone === null ? '—' : `+${state.phone}`}</dd>
        <dt>Since</dt>
        <dd>{when(state.since)}</dd>
        <dt>Waiting messages</dt>
        <dd data-testid="waiting">{state.waiting}</dd>
        <dt>New chats</dt>
        <dd>{state.restricted_until === null ? 'allowed' : `restricted by WhatsApp until ${when(state.restricted_until)}`}</dd>
      </dl>
      <ErrorNote error={error} />
      {notice !== undefined && <Notice>{notice}</Notice>}
      {links && ['disconnected', 'failed', 'logged_out'].includes(state.state) && (
        <div class="actions">
          <button type="button" onClick={() => void loadQr().then(load)}>
            Link a phone (show the QR code)
          </button>
        </div>
      )}
      {links && state.state === 'qr' && (
        <div class="qr">
          <h3>Link a phone</h3>
          <p>On the phone: WhatsApp → Settings → Linked devices → Link a device, then scan this code. It changes every few seconds.</p>
          {qr === undefined ? <p>Preparing the QR code…</p> : <img src={qr} width={256} height={256} alt="QR code to link WhatsApp" />}
        </div>
      )}
      {links && state.state !== 'connected' && (
        <form class="inline" onSubmit={requestPairing}>
          <h3>Or link with a pairing code</h3>
          <label>
            Phone number (with country code)
            <input name="pairing_phone" inputMode="tel" required value={phone} onInput={(e) => setPhone(e.currentTarget.value)} />
          </label>
          <button type="submit">Get a pairing code</button>
          {pairing !== undefined && (
            <p class="pairing" role="status">
              Enter <strong>{pairing}</strong> on the phone (Linked devices → Link with phone number).
            </p>
          )}
        </form>
      )}
      {links && (
        <div class="actions">
          <button type="button" onClick={() => void act('restart')}>
            Restart connection
          </button>
          <button type="button" class="danger" onClick={() => void act('logout')}>
            Log out
          </button>
        </div>
      )}
    </section>
  );
}
