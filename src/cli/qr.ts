/**
 * `connexa instance qr ID`: asks the running gateway (admin API) for the
 * instance's QR code, draws it in the terminal, redraws it when WhatsApp
 * rotates it, and follows the link until the number is connected.
 */
import QRCode from 'qrcode';

export interface QrFollowOptions {
  baseUrl: string;
  adminToken: string;
  instanceId: string;
  out: (text: string) => void;
  pollMs?: number;
  timeoutMs?: number;
}

interface LinkState {
  state: string;
  reason: string | null;
  phone: string | null;
  qr: { code: string; expires_at: string } | null;
}

export async function followQr(o: QrFollowOptions): Promise<number> {
  const deadline = Date.now() + (o.timeoutMs ?? 5 * 60_000);
  let shown: string | undefined;
  for (;;) {
    const res = await fetch(`${o.baseUrl}/api/v1/admin/instances/${encodeURIComponent(o.instanceId)}/link`, {
      headers: { authorization: `Bearer ${o.adminToken}` },
    });
    const body = (await res.json()) as LinkState & { error?: { code: string; message: string } };
    if (res.status !== 200) {
      o.out(`error: ${body.error?.code ?? res.status}: ${body.error?.message ?? 'the gateway refused the request'}`);
      return 1;
    }
    if (body.state === 'connected') {
      o.out(`Linked: this instance now sends from ${body.phone !== null ? `+${body.phone}` : 'your number'}.`);
      return 0;
    }
    if (['failed', 'banned', 'logged_out'].includes(body.state)) {
      o.out(`The link did not complete (${body.state}): ${body.reason ?? 'no reason given'}`);
      return 1;
    }
    if (body.qr !== null && body.qr.code !== shown) {
      shown = body.qr.code;
      const art = await QRCode.toString(body.qr.code, { type: 'terminal', small: true });
      o.out(
        `${art}\nOn the phone: WhatsApp → Settings → Linked devices → Link a device, and scan this code.\n(The code changes every 20 s; this view follows it.)`,
      );
    }
    if (Date.now() > deadline) {
      o.out('Gave up waiting for the link; run the command again for a new code.');
      return 1;
    }
    await new Promise((r) => setTimeout(r, o.pollMs ?? 1000));
  }
}
