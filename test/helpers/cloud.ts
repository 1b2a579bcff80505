/** A `cloud` instance's settings pointing at the fake Graph server, and its webhook URL on a gateway. */
import type { FakeGraphServer } from '../fakes/graph/server.js';

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
