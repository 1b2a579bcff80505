/** A `cloud` instance's settings pointing at the fake Graph server, and its webhook URL on a gateway. */
import { FakeGraphServer } from '../fakes/graph/server.js';
import { startTestGateway, type Tenant, type TestGateway } from './gateway.js';

export const VERIFY_TOKEN = 'verify-token-123';

export function cloudConfig(graph: FakeGraphServer, extra: Record<string, unknown> = {}): Record<string, unknown> {
  return {
    phone_number_id: graph.phoneNumberId,
    access_token: graph.accessToken,
    app_secret: graph.appSecret,
    verify_token: VERIFY_TOKEN,
    graph_url: graph.url,
    graph_version: 'v25.0',
    ...extra,
  };
}

export function cloudWebhookUrl(gatewayUrl: string, instanceId: string): string {
  return `${gatewayUrl}/api/v1/cloud/${instanceId}/webhook`;
}

export interface CloudSetup {
  g: TestGateway;
  graph: FakeGraphServer;
  /** A user with one cloud instance on the fake. */
  t: Tenant;
  /** The instance's webhook URL (what is registered at Meta). */
  hook: string;
  stop(): Promise<void>;
}

/** A test gateway and a fake Graph server with one cloud instance on it; Meta's webhooks subscribed unless told not to. */
export async function startCloudGateway(env: Record<string, string> = {}, subscribe = true): Promise<CloudSetup> {
  const graph = await FakeGraphServer.start();
  const g = await startTestGateway(env);
  const t = await g.tenant('cloud', cloudConfig(graph));
  const hook = cloudWebhookUrl(g.url, t.instanceId);
  if (subscribe) await graph.subscribe(hook, VERIFY_TOKEN);
  return {
    g,
    graph,
    t,
    hook,
    stop: async () => {
      await graph.close();
      await g.stop();
    },
  };
}
