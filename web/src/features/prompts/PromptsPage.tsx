/** Prompt templates the caller may read: name, project, newest version, aliases. */
import { useState } from 'react';
import { useQuery } from 'urql';
import { Link } from 'wouter';
import { paths } from '../../app/routes';
import { ErrorBox, formatTime, Loading } from '../../components/status';
import { graphql } from '../../gql';
import '../pages.css';

export const PromptTemplatesDoc = graphql(`
  query PromptTemplates($search: String) {
    promptTemplates(first: 100, filter: { nameSearch: $search }, orderBy: { field: UPDATED_AT, direction: DESC }) {
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
          latestVersion {
            id
            version
          }
          aliases {
            alias
          }
        }
      }
    }
  }
`);

export function PromptsPage() {
  const [search, setSearch] = useState('');
  const [result] = useQuery({ query: PromptTemplatesDoc, variables: { search: search.trim() || null } });
  return (
    <section aria-labelledby="prompts-title">
      <h1 id="prompts-title">Prompt templates</h1>
      <label className="search">
        Filter by name <input type="search" value={search} onChange={(e) => setSearch(e.target.value)} />
      </label>
      {result.error && <ErrorBox error={result.error} />}
      {result.fetching && !result.data && <Loading />}
      {result.data && (
        <table className="plain">
          <caption>Prompt templates ({result.data.promptTemplates.totalCount})</caption>
          <thead>
            <tr>
              <th scope="col">Name</th>
              <th scope="col">Project</th>
              <th scope="col">Latest version</th>
              <th scope="col">Aliases</th>
              <th scope="col">Updated</th>
            </tr>
          </thead>
          <tbody>
            {result.data.promptTemplates.edges.map(({ node }) => (
              <tr key={node.id}>
                <td>
                  <Link href={paths.prompt(node.id)}>{node.name}</Link>
                  {node.description && <div className="muted">{node.description}</div>}
                </td>
                <td>
                  <Link href={paths.project(node.project.id)}>{node.project.name}</Link>
                </td>
                <td>{node.latestVersion ? `v${node.latestVersion.version}` : '—'}</td>
                <td>
                  {node.aliases.map((a) => (
                    <span key={a.alias} className="tag">
                      {a.alias}
                    </span>
                  ))}
                </td>
                <td>{formatTime(node.updatedAt)}</td>
              </tr>
            ))}
          </tbody>
        </table>
      )}
    </section>
  );
}
