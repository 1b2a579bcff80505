/** Sends each of the five types, media from a URL or a file (sent as base64), with an idempotency key. */
import { useState } from 'preact/hooks';
import { describeError, type Api } from '../api.js';
import { ErrorNote, Notice } from '../ui.js';

const TYPES = ['text', 'image', 'video', 'audio', 'document'] as const;
type MessageType = (typeof TYPES)[number];

function readAsDataUrl(file: File): Promise<string> {
  return new Promise((resolve, reject) => {
    const reader = new FileReader();
    reader.onload = () => resolve(String(reader.result));
    reader.onerror = () => reject(reader.error ?? new Error('The file could not be read'));
    reader.readAsDataURL(file);
  });
}

const newKey = (): string => crypto.randomUUID();

export function SendPanel({ api }: { api: Api }) {
  const [type, setType] = useState<MessageType>('text');
  const [phone, setPhone] = useState('');
  const [text, setText] = useState('');
  const [source, setSource] = useState<'url' | 'file'>('url');
  const [url, setUrl] = useState('');
  const [file, setFile] = useState<File>();
  const [filename, setFilename] = useState('');
  const [key, setKey] = useState(newKey);
  const [error, setError] = useState<string>();
  const [sent, setSent] = useState<string>();
  const [busy, setBusy] = useState(false);

  const submit = async (e: Event) => {
    e.preventDefault();
    setBusy(true);
    setError(undefined);
    setSent(undefined);
    try {
      const data: Record<string, string> = {};
      if (text !== '') data['text'] = text;
      if (type !== 'text') {
        if (source === 'url') data['url'] = url.trim();
        else if (file !== undefined) data['base64'] = await readAsDataUrl(file);
        if (type === 'document' && filename.trim() !== '') data['filename'] = filename.trim();
      }
      const headers: Record<string, string> = key.trim() === '' ? {} : { 'idempotency-key': key.trim() };
      const r = await api.call<{ message_id: string }>('POST', `/api/v1/message/${type}`, { phone, data }, headers);
      setSent(r.message_id);
      // The next message gets a key of its own; this one stays valid for a retry of the same body.
      setKey(newKey());
    } catch (err) {
      setError(describeError(err));
    } finally {
      setBusy(false);
    }
  };

  return (
    <section aria-labelledby="send-title">
      <h2 id="send-title">New message</h2>
      <form class="stack" onSubmit={submit}>
        <label>
          Type
          <select name="type" value={type} onChange={(e) => setType(e.currentTarget.value as MessageType)}>
            {TYPES.map((t) => (
              <option key={t} value={t}>
                {t}
              </option>
            ))}
          </select>
        </label>
        <label>
          Phone (country code and number)
          <input name="phone" inputMode="tel" required placeholder="554499999999" value={phone} onInput={(e) => setPhone(e.currentTarget.value)} />
        </label>
        <label>
          {type === 'text' ? 'Text' : 'Caption (optional)'}
          <textarea name="text" required={type === 'text'} rows={3} value={text} onInput={(e) => setText(e.currentTarget.value)} />
        </label>
        {type !== 'text' && (
          <fieldset>
            <legend>Media from</legend>
            <label>
              <input type="radio" name="source" checked={source === 'url'} onChange={() => setSource('url')} /> a URL
            </label>
            <label>
              <input type="radio" name="source" checked={source === 'file'} onChange={() => setSource('file')} /> a file (sent as base64)
            </label>
            {source === 'url' ? (
              <label>
                Media URL
                <input name="url" type="url" required value={url} onInput={(e) => setUrl(e.currentTarget.value)} />
              </label>
            ) : (
              <label>
                File
                <input name="file" type="file" required onChange={(e) => setFile(e.currentTarget.files?.[0])} />
              </label>
            )}
            {type === 'document' && (
              <label>
                File name (optional)
                <input name="filename" value={filename} onInput={(e) => setFilename(e.currentTarget.value)} />
              </label>
            )}
          </fieldset>
        )}
        <label>
          Idempotency key (the same key and body never send twice)
          <input name="idempotency_key" value={key} onInput={(e) => setKey(e.currentTarget.value)} />
        </label>
        <button type="submit" disabled={busy}>
          {busy ? 'Sending…' : 'Send'}
        </button>
      </form>
      <ErrorNote error={error} />
      {sent !== undefined && (
        <Notice>
          Accepted: message_id <code data-testid="sent-id">{sent}</code>. Its status shows in the message log.
        </Notice>
      )}
    </section>
  );
}
