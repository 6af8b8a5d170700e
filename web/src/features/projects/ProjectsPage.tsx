/** The projects the caller is a member of. */
import { useQuery } from 'urql';
import { Link } from 'wouter';
import { paths } from '../../app/paths';
import { QueryState } from '../../components/QueryState';
import { graphql } from '../../gql';

export const ProjectsQuery = graphql(`
  query Projects($after: String) {
    projects(first: 100, after: $after, orderBy: { field: NAME, direction: ASC }) {
      totalCount
      edges {
        node {
          id
          name
          description
          myRole
        }
      }
    }
  }
`);

export function ProjectsPage() {
  const [result] = useQuery({ query: ProjectsQuery });
  return (
    <section aria-labelledby="projects-title">
      <h1 id="projects-title">Projects</h1>
      <QueryState result={result} />
      {result.data && result.data.projects.totalCount === 0 && <p className="muted">No project yet.</p>}
      <ul className="cards">
        {result.data?.projects.edges.map(({ node }) => (
          <li key={node.id}>
            <Link href={paths.project(node.id)}>{node.name}</Link>
            {node.description && <p className="muted">{node.description}</p>}
            {node.myRole && <span className="tag">{node.myRole}</span>}
          </li>
        ))}
      </ul>
    </section>
  );
}
