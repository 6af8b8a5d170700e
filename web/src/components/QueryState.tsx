/** What a page shows while its query runs or when it failed; and the heading block of a page. */
import type { ReactNode } from 'react';
import type { CombinedError } from 'urql';
import { Link } from 'wouter';
import { ErrorBox, Loading } from './status';

export interface QueryResultLike {
  error?: CombinedError;
  fetching: boolean;
  data?: unknown;
}

/** The query's error, or "Loading…" until its first answer. */
export function QueryState({ result }: { result: QueryResultLike }) {
  return (
    <>
      {result.error && <ErrorBox error={result.error} />}
      {result.fetching && !result.data && <Loading />}
    </>
  );
}

/** Breadcrumb links, the page's title (its h1, id `titleId`), an optional description and the query's state. */
export function PageHead({
  titleId,
  title,
  crumbs = [],
  description,
  result,
}: {
  titleId: string;
  title: ReactNode;
  crumbs?: readonly ({ href: string; label: string } | null | undefined)[];
  description?: string | null;
  result: QueryResultLike;
}) {
  const links = crumbs.filter((c) => c != null);
  return (
    <>
      {links.length > 0 && (
        <nav aria-label="Breadcrumb" className="crumbs">
          {links.map((c) => (
            <Link key={c.href} href={c.href}>
              {c.label}
            </Link>
          ))}
        </nav>
      )}
      <h1 id={titleId}>{title}</h1>
      {description && <p className="muted">{description}</p>}
      <QueryState result={result} />
    </>
  );
}
