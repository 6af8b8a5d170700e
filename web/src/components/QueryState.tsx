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

/** The head of a catalog entry's page: crumbs to its list and its project, its name (`fallback` until it came), its description. */
export function EntryHead({
  titleId,
  fallback,
  list,
  entry,
  projectHref,
  result,
}: {
  titleId: string;
  fallback: string;
  list: { href: string; label: string };
  entry: { name: string; description?: string | null; project: { id: string; name: string } } | null | undefined;
  projectHref(id: string): string;
  result: QueryResultLike;
}) {
  return (
    <PageHead
      titleId={titleId}
      title={entry?.name ?? fallback}
      crumbs={[list, entry && { href: projectHref(entry.project.id), label: entry.project.name }]}
      description={entry?.description}
      result={result}
    />
  );
}
