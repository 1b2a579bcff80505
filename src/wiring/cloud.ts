/** Meta's Cloud API engine: its accounts (sealed), the engine the dispatcher sends through, and what Meta's webhooks bring in. */
import type { CloudAccountsPort } from '../admin/service.js';
import type { Sealer } from '../crypto/sealer.js';
import { CloudAccounts } from '../engines/cloud/accounts.js';
import { CloudEngine, type CloudStateLog } from '../engines/cloud/engine.js';
import { CloudInbound } from '../engines/cloud/inbound.js';
import type { ReceiptSink } from '../engines/engine.js';
import { CloudStatements } from '../store/cloud.js';
import type { Store } from '../store/database.js';
import type { WhatsAppStatements } from '../store/whatsapp.js';

export interface Cloud {
  engine: CloudEngine;
  inbound: CloudInbound;
  /** What the admin use cases need: create, read and replace accounts. */
  accounts: CloudAccountsPort;
  statements: CloudStatements;
}

export function buildCloud(store: Store, sealer: Sealer, receipts: ReceiptSink, whatsapp: WhatsAppStatements): Cloud {
  const statements = new CloudStatements(store);
  const accounts = new CloudAccounts(statements, sealer);
  // The instance's state is kept like a WhatsApp number's (with the same webhook events).
  const states: CloudStateLog = { save: (id, snap) => whatsapp.saveState(id, snap), stored: (id) => whatsapp.storedState(id) };
  const engine = new CloudEngine(accounts, statements, receipts, states);
  const inbound = new CloudInbound(accounts, statements, whatsapp, receipts);
  return {
    engine,
    inbound,
    statements,
    accounts: {
      save: async (id, settings) => {
        const view = await accounts.save(id, settings);
        if ((await states.stored(id))?.state === 'disconnected') await states.save(id, { state: 'connected', since: Date.now() });
        return view;
      },
      stored: (id) => {
        accounts.forget(id);
        return accounts.get(id);
      },
      replaced: (id) => engine.replaced(id),
    },
  };
}
