/**
 * Links an instance to a number on the fake WhatsApp server by QR, as a person
 * would: the API shows the code, the phone scans it (pair-success), the server
 * restarts the stream and the number logs in; resolves once the API says
 * `connected`, with the logged-in connection.
 */
import type { FakeConnection, FakeWhatsAppServer } from '../fakes/whatsapp-server.js';
import { waitFor } from './gateway.js';

/** Calls the instance API with the instance's credentials (on whichever node). */
export type InstanceCall = (path: string) => Promise<{ status: number; body: Record<string, unknown> }>;

export async function linkByQr(
  server: FakeWhatsAppServer,
  call: InstanceCall,
  own: string,
  options: { usync?: Map<string, string>; businessName?: string; timeoutMs?: number } = {},
): Promise<FakeConnection> {
  const timeoutMs = options.timeoutMs ?? 5_000;
  const registering = server.nextConnection();
  await call('/api/v1/instance/qr');
  const conn = await registering;
  if (options.usync !== undefined) conn.usync = options.usync;
  conn.pairDevice(['ref-one']);
  const qr = await waitFor(
    async () => {
      const r = await call('/api/v1/instance/qr');
      return r.status === 200 && typeof r.body['code'] === 'string' ? r.body['code'] : undefined;
    },
    timeoutMs,
    'the QR code',
  );
  const login = server.nextConnection();
  await conn.pairSuccess(qr, own, undefined, options.businessName);
  const session = await login;
  if (options.usync !== undefined) session.usync = options.usync;
  session.loginSuccess();
  await waitFor(async () => ((await call('/api/v1/instance')).body['state'] === 'connected' ? true : undefined), timeoutMs, 'the number to connect');
  return session;
}
