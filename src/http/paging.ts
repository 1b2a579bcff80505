/** Cursor paging shared by the list endpoints: `?limit=1..1000&cursor=<next_cursor>`, newest first. */
import { fieldError } from '../domain/errors.js';

export interface Page {
  limit: number;
  /** Rows with an id below this one (the previous page's last id). */
  before: number | undefined;
}

export function parsePage(query: { limit?: string; cursor?: string }, defaultLimit = 100): Page {
  const limit = query.limit === undefined ? defaultLimit : Number(query.limit);
  if (!Number.isInteger(limit) || limit < 1 || limit > 1000) throw fieldError('limit', 'invalid_limit', 'limit must be a whole number from 1 to 1000');
  if (query.cursor !== undefined && !/^[0-9]{1,15}$/.test(query.cursor)) {
    throw fieldError('cursor', 'invalid_cursor', 'cursor must be the next_cursor of a previous page');
  }
  return { limit, before: query.cursor === undefined ? undefined : Number(query.cursor) };
}

/** The cursor for the next page: the last id, when the page was full. */
export function nextCursor(rows: { id: number }[], limit: number): string | null {
  const last = rows[rows.length - 1];
  return rows.length === limit && last !== undefined ? String(last.id) : null;
}

export const pageQuerySchema = {
  type: 'object',
  properties: {
    limit: { type: 'string', description: 'Entries per page, 1 to 1000 (default 100)' },
    cursor: { type: 'string', description: 'next_cursor of the previous page' },
  },
} as const;
