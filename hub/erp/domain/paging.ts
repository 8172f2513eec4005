// One paging convention for every list: page from 1, per_page 1..100 (default 20).
export interface Page<T> {
  items: T[];
  total: number;
  page: number;
  per_page: number;
  pages: number;
}

export interface PageQuery {
  page: number;
  per_page: number;
}

export function pageQuery(q: Record<string, unknown>): PageQuery {
  const page = Math.max(1, Math.floor(Number(q.page) || 1));
  const per = Math.floor(Number(q.per_page) || 20);
  return { page, per_page: Math.min(100, Math.max(1, per)) };
}

export function toPage<T>(items: T[], total: number, q: PageQuery): Page<T> {
  return { items, total, page: q.page, per_page: q.per_page, pages: Math.max(1, Math.ceil(total / q.per_page)) };
}

/** Lower-cased search text; SQLite's LOWER() only folds ASCII, Cyrillic names need JS. */
export function searchKey(...parts: (string | null | undefined)[]): string {
  return parts.filter(Boolean).join(' ').toLocaleLowerCase('ru-RU').replace(/ё/g, 'е');
}

/** A LIKE pattern that matches the query literally (escapes %, _ and \). */
export function likePattern(q: string): string {
  return `%${searchKey(q).replace(/[\\%_]/g, (c) => `\\${c}`)}%`;
}
