import { DEFAULT_PAGE_SIZE, PageCursor, PageSize } from './admin-fields.js';

/** `limit` and `cursor`, shared by every list of the admin API. */
export class PageQuery {
  @PageSize() limit?: number;
  @PageCursor() cursor?: string;
}

/** A page of a list, newest first; `nextCursor` is null on the last page. */
export interface Page<T> {
  items: T[];
  nextCursor: string | null;
}

/**
 * The one way the admin API pages: ask the store for one row more than the page (`fetch`
 * gets `limit` and the `before` id), and the extra row says whether another page follows.
 */
export async function paginate<Row, Item extends { id: string }>(
  query: PageQuery,
  fetch: (page: { before?: string; limit: number }) => Promise<Row[]>,
  view: (rows: Row[]) => Item[] | Promise<Item[]>,
): Promise<Page<Item>> {
  const size = query.limit ?? DEFAULT_PAGE_SIZE;
  const rows = await fetch({ before: query.cursor, limit: size + 1 });
  const items = await view(rows.slice(0, size));
  return { items, nextCursor: rows.length > size ? items[items.length - 1].id : null };
}
