/**
 * A catalog list page (models, datasets, prompt templates): its title, a
 * name filter and a table of the entries the caller may read, each linked,
 * with its project and last update around the page's own columns.
 */
import type { TypedDocumentNode } from '@graphql-typed-document-node/core';
import { useState } from 'react';
import { useQuery } from 'urql';
import { Link } from 'wouter';
import { type Column, DataTable } from './DataTable';
import { QueryState } from './QueryState';
import { formatTime } from './status';
import { Tags } from './Tags';

export interface CatalogEntry {
  id: string;
  name: string;
  description?: string | null;
  updatedAt: string;
  project: { id: string; name: string };
}

export interface CatalogConnection<Entry> {
  totalCount: number;
  edges: readonly { node: Entry }[];
}

/** The newest version and the aliases of a versioned entry (models, prompt templates). */
export const latestVersionColumns: readonly Column<
  CatalogEntry & { latestVersion?: { version: number } | null; aliases: readonly { alias: string }[] }
>[] = [
  { header: 'Latest version', cell: (e) => (e.latestVersion ? `v${e.latestVersion.version}` : '—') },
  { header: 'Aliases', cell: (e) => <Tags names={e.aliases.map((a) => a.alias)} /> },
];

export function CatalogListPage<Data, Entry extends CatalogEntry>({
  title,
  titleId,
  query,
  entries,
  href,
  projectHref,
  columns,
}: {
  title: string;
  titleId: string;
  /** Its variable `search` narrows the names. */
  query: TypedDocumentNode<Data, { search?: string | null }>;
  entries(data: Data): CatalogConnection<Entry>;
  href(id: string): string;
  projectHref(id: string): string;
  columns: readonly Column<NoInfer<Entry>>[];
}) {
  const [search, setSearch] = useState('');
  const [result] = useQuery({ query, variables: { search: search.trim() || null } });
  const connection = result.data && entries(result.data);
  return (
    <section aria-labelledby={titleId}>
      <h1 id={titleId}>{title}</h1>
      <label className="search">
        Filter by name <input type="search" value={search} onChange={(e) => setSearch(e.target.value)} />
      </label>
      <QueryState result={result} />
      {connection && (
        <DataTable
          caption={`${title} (${connection.totalCount})`}
          rows={connection.edges.map((e) => e.node)}
          columns={[
            {
              header: 'Name',
              cell: (e) => (
                <>
                  <Link href={href(e.id)}>{e.name}</Link>
                  {e.description && <div className="muted">{e.description}</div>}
                </>
              ),
            },
            { header: 'Project', cell: (e) => <Link href={projectHref(e.project.id)}>{e.project.name}</Link> },
            ...columns,
            { header: 'Updated', cell: (e) => formatTime(e.updatedAt) },
          ]}
        />
      )}
    </section>
  );
}
