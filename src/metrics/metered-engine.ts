/**
 * An engine as the metrics see it: every send attempt is counted by outcome,
 * and the first attempt of a message records its dispatch latency (from the
 * time in its UUIDv7 id, minted when the request was accepted, to now).
 */
import { CodedError } from '../domain/errors.js';
import { uuidV7Time } from '../domain/uuid7.js';
import type { Engine, OutgoingMessage, SendResult } from '../engines/engine.js';
import type { Metrics } from './metrics.js';

export function meteredEngine(engine: Engine, metrics: Metrics, now: () => number = Date.now): Engine {
  const labels = { engine: engine.name };
  return {
    name: engine.name,
    capabilities: engine.capabilities,
    start: () => engine.start(),
    stop: () => engine.stop(),
    async send(message: OutgoingMessage): Promise<SendResult> {
      if (message.attempt <= 1) {
        const minted = uuidV7Time(message.messageId);
        if (minted !== undefined) metrics.dispatchLatency.observe(labels, Math.max(0, now() - minted) / 1000);
      }
      try {
        const result = await engine.send(message);
        metrics.sends.inc({ ...labels, outcome: 'sent' });
        return result;
      } catch (err) {
        const transient = err instanceof CodedError ? err.transient : true;
        metrics.sends.inc({ ...labels, outcome: transient ? 'retry' : 'failed' });
        throw err;
      }
    },
  };
}
