/**
 * An engine as the metrics see it: the first attempt of a message records its
 * dispatch latency (from the time in its UUIDv7 id, minted when the request was
 * accepted, to the hand-off). Outcomes are counted by the dispatcher, which
 * also sees the failures that happen before the engine is called.
 */
import { uuidV7Time } from '../domain/uuid7.js';
import type { Engine, OutgoingMessage, SendResult } from '../engines/engine.js';
import type { Metrics } from './metrics.js';

export function meteredEngine(engine: Engine, metrics: Metrics, now: () => number = Date.now): Engine {
  const labels = { engine: engine.name };
  return {
    name: engine.name,
    capabilities: engine.capabilities,
    // Optional capabilities pass through as they are.
    ...(engine.readiness !== undefined ? { readiness: engine.readiness } : {}),
    ...(engine.contacts !== undefined ? { contacts: engine.contacts } : {}),
    ...(engine.states !== undefined ? { states: engine.states } : {}),
    start: () => engine.start(),
    stop: () => engine.stop(),
    send(message: OutgoingMessage): Promise<SendResult> {
      if (message.attempt <= 1) {
        const minted = uuidV7Time(message.messageId);
        if (minted !== undefined) metrics.dispatchLatency.observe(labels, Math.max(0, now() - minted) / 1000);
      }
      return engine.send(message);
    },
  };
}
