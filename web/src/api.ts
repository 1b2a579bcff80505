/**
 * The dashboard calls the public API as a program does, with the same
 * credentials: HTTP Basic (user_id:instance_token) or Bearer (admin token),
 * always in a header, never in a URL.
 */
export type Credentials = { kind: 'instance'; userId: string; token: string } | { kind: 'admin'; token: string };

export interface ErrorDetail {
  field: string;
  code: string;
  message: string;
}

export class ApiFailure extends Error {
  constructor(
    readonly status: number,
    readonly code: string,
    message: string,
    readonly details: ErrorDetail[] = [],
  ) {
    super(message);
  }
}

export function authorization(c: Credentials): string {
  if (c.kind === 'admin') return `Bearer ${c.token}`;
  const bytes = new TextEncoder().encode(`${c.userId}:${c.token}`);
  return `Basic ${btoa(String.fromCharCode(...bytes))}`;
}

export class Api {
  constructor(readonly credentials: Credentials) {}

  async call<T>(method: string, path: string, body?: unknown, headers: Record<string, string> = {}): Promise<T> {
    const res = await this.raw(method, path, body, { accept: 'application/json', ...headers });
    if (res.status === 204) return undefined as T;
    const text = await res.text();
    const parsed: unknown = text === '' ? undefined : JSON.parse(text);
    if (!res.ok) {
      const e = (parsed as { error?: { code?: string; message?: string; details?: ErrorDetail[] } } | undefined)?.error;
      throw new ApiFailure(res.status, e?.code ?? 'http_error', e?.message ?? `The server answered ${res.status}`, e?.details ?? []);
    }
    return parsed as T;
  }

  raw(method: string, path: string, body?: unknown, headers: Record<string, string> = {}, signal?: AbortSignal): Promise<Response> {
    const init: RequestInit = { method, headers: { authorization: authorization(this.credentials), ...headers }, cache: 'no-store' };
    if (body !== undefined) {
      init.body = JSON.stringify(body);
      init.headers = { ...init.headers, 'content-type': 'application/json' };
    }
    if (signal !== undefined) init.signal = signal;
    return fetch(path, init);
  }
}

export function describeError(err: unknown): string {
  if (err instanceof ApiFailure) {
    const fields = err.details.map((d) => `${d.field}: ${d.message}`).join('; ');
    return `${err.message} (${err.code}${fields === '' ? '' : `; ${fields}`})`;
  }
  return err instanceof Error ? err.message : String(err);
}
