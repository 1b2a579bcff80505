/**
 * WhatsApp status updates of the messages we sent, as receipts keyed by the
 * WhatsApp id we sent under (it comes back the same under an `@lid` chat).
 * DELIVERY_ACK → delivered; READ and PLAYED → read; ERROR → failed, and a 463
 * (the reach-out timelock on new chats) is final: a retry is another reach-out.
 */
import { proto, type WAMessageUpdate } from 'baileys';

export interface ProviderReceipt {
  providerId: string;
  status: 'delivered' | 'read' | 'failed';
  code?: string;
  reason?: string;
}

const Status = proto.WebMessageInfo.Status;

export function receiptsFromUpdates(updates: WAMessageUpdate[]): ProviderReceipt[] {
  const out: ProviderReceipt[] = [];
  for (const { key, update } of updates) {
    const providerId = key.id;
    if (key.fromMe !== true || typeof providerId !== 'string' || update.status === undefined || update.status === null) continue;
    switch (update.status) {
      case Status.DELIVERY_ACK:
        out.push({ providerId, status: 'delivered' });
        break;
      case Status.READ:
      case Status.PLAYED:
        out.push({ providerId, status: 'read' });
        break;
      case Status.ERROR: {
        const stub = update.messageStubParameters ?? [];
        out.push(
          stub.includes('463')
            ? { providerId, status: 'failed', code: 'reachout_timelock', reason: 'WhatsApp refused a new chat from this number for now (463); not retried' }
            : {
                providerId,
                status: 'failed',
                code: 'whatsapp_error',
                reason: `WhatsApp reported an error for the message${stub.length > 0 ? ` (${stub.join(', ').slice(0, 60)})` : ''}`,
              },
        );
        break;
      }
      default:
        break; // PENDING, SERVER_ACK: nothing beyond `sent`
    }
  }
  return out;
}
