/**
 * A connection read one page at a time through its cursors: the cursors of
 * the pages seen so far (back is one step down that stack), the page's range
 * for a caption, and the buttons to move.
 */
import { useState } from 'react';

export interface CursorPages {
  /** The `after` variable of the current page. */
  after: string | null;
  /** 1-based. */
  page: number;
  /** Back to the first page (e.g. when the filter changed). */
  reset(): void;
  next(endCursor: string | null | undefined): void;
  previous(): void;
  /** "51–100 of 230", or "(none)". */
  range(shown: number, total: number): string;
}

export function useCursorPages(pageSize: number): CursorPages {
  const [cursors, setCursors] = useState<(string | null)[]>([null]);
  const page = cursors.length;
  return {
    after: cursors[cursors.length - 1] ?? null,
    page,
    reset: () => setCursors([null]),
    next: (endCursor) => setCursors((c) => [...c, endCursor ?? null]),
    previous: () => setCursors((c) => c.slice(0, -1)),
    range: (shown, total) =>
      total === 0 ? '(none)' : `${(page - 1) * pageSize + 1}–${(page - 1) * pageSize + shown} of ${total}`,
  };
}

export function Pager({
  pages,
  pageInfo,
  previousLabel,
  nextLabel,
}: {
  pages: CursorPages;
  pageInfo: { hasNextPage: boolean; endCursor?: string | null };
  previousLabel: string;
  nextLabel: string;
}) {
  return (
    <nav aria-label="Pages" className="pager">
      <button type="button" disabled={pages.page === 1} onClick={pages.previous}>
        {previousLabel}
      </button>
      <span>Page {pages.page}</span>
      <button type="button" disabled={!pageInfo.hasNextPage} onClick={() => pages.next(pageInfo.endCursor)}>
        {nextLabel}
      </button>
    </nav>
  );
}
