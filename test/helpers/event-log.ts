/** Event log filters for tests that build the webhook outbox themselves. */
import type { EventLogFilter } from '../../src/store/event-log.js';

/** No instance's events are streamed (a gateway nobody streams from): nothing goes to the event log. */
export const NOT_STREAMED: EventLogFilter = { wants: () => false };
