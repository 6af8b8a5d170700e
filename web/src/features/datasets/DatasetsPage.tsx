/** Datasets the caller may read: name, project, version count. */
import { useState } from 'react';
import { useQuery } from 'urql';
import { Link } from 'wouter';
import { paths } from '../../app/routes';
import { ErrorBox, formatTime, Loading } from '../../components/status';
import { graphql } from '../../gql';
import '../pages.css';

export const DatasetsDoc = graphql(`
  query Datasets($search: String) {
    datasets(first: 100, filter: { nameSearch: $search }, orderBy: { field: UPDATED_AT, direction: DESC }) {
      totalCount
      edges {
        node {
          id
          name
          description
          updatedAt
          project {
            id
            name
          }
          versions(first: 1) {
            totalCount
            edges {
              node {
                id
                label
              }
            }
          }
        }
      }
    }
  }
`);

export function DatasetsPage() {
  const [search, setSearch] = useState('');
  const [result] = useQuery({ query: DatasetsDoc, variables: { search: search.trim() || null } });
  return (
    <section aria-labelledby="datasets-title">
      <h1 id="datasets-title">Datasets</h1>
      <label className="search">
        Filter by name <input type="search" value={search} onChange={(e) => setSearch(e.target.value)} />
      </label>
      {result.error && <ErrorBox error={result.error} />}
      {result.fetching && !result.data && <Loading />}
      {result.data && (
        <table className="plain">
          <caption>Datasets ({result.data.datasets.totalCount})</caption>
          <thead>
            <tr>
              <th scope="col">Name</th>
              <th scope="col">Project</th>
              <th scope="col">Versions</th>
              <th scope="col">Newest</th>
              <th scope="col">Updated</th>
            </tr>
          </thead>
          <tbody>
            {result.data.datasets.edges.map(({ node }) => (
              <tr key={node.id}>
                <td>
                  <Link href={paths.dataset(node.id)}>{node.name}</Link>
                  {node.description && <div className="muted">{node.description}</div>}
                </td>
                <td>
                  <Link href={paths.project(node.project.id)}>{node.project.name}</Link>
                </td>
                <td>{node.versions.totalCount}</td>
                <td className="mono">{node.versions.edges[0]?.node.label ?? '—'}</td>
                <td>{formatTime(node.updatedAt)}</td>
              </tr>
            ))}
          </tbody>
        </table>
      )}
    </section>
  );
}
