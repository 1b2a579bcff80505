/** The state of a linked WhatsApp number's session, as engines report it and the store keeps it. */
export type SessionState = 'disconnected' | 'connecting' | 'qr' | 'connected' | 'logged_out' | 'banned' | 'failed';

export interface SessionSnapshot {
  state: SessionState;
  since: number;
  /** The linked phone number (digits), once connected. */
  phone?: string;
  qr?: { code: string; expiresAt: number };
  reason?: string;
}
