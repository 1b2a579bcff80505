/**
 * One error type for the whole system: a stable snake_case `code`, a human
 * sentence, an HTTP status, and optionally the fields at fault. The HTTP layer
 * maps it to `{"error": {code, message, details?}}`; anything that is not an
 * ApiError becomes a generic 500 that says nothing internal.
 */
export interface ErrorDetail {
  /** Dotted path of the offending field, e.g. `data.base64`. */
  field: string;
  code: string;
  message: string;
}

export class ApiError extends Error {
  constructor(
    readonly status: number,
    readonly code: string,
    message: string,
    readonly details?: ErrorDetail[],
    readonly headers?: Readonly<Record<string, string>>,
  ) {
    super(message);
    this.name = 'ApiError';
  }
}

/** A 400 about one field: the detail repeats the code so clients can switch on either. */
export function fieldError(field: string, code: string, message: string): ApiError {
  return new ApiError(400, code, message, [{ field, code, message }]);
}

/**
 * A failure with a stable code that is not tied to HTTP: media that cannot be
 * decoded or fetched, an engine refusal. Routes turn it into a 400 at accept
 * time; the dispatcher records its code and message on a failed message.
 */
export class CodedError extends Error {
  constructor(
    readonly code: string,
    message: string,
    /** Transient errors are retried with backoff; permanent ones fail at once. */
    readonly transient = false,
  ) {
    super(message);
    this.name = 'CodedError';
  }
}

/**
 * The engine cannot send this message before `until` (epoch ms), through no
 * fault of the message (WhatsApp restricts the number from new chats, say):
 * it waits `queued` until then, and the attempt is not counted.
 */
export class NotBeforeError extends CodedError {
  constructor(
    code: string,
    message: string,
    readonly until: number,
  ) {
    super(code, message, true);
    this.name = 'NotBeforeError';
  }
}
