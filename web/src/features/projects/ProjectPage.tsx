/** A project's experiments, each with its run count. */
import { useQuery } from 'urql';
import { Link, useParams } from 'wouter';
import { paths } from '../../app/routes';
import { ErrorBox, Loading } from '../../components/status';
import { graphql } from '../../gql';

export const ProjectQuery = graphql(`
  query Project($id: ID!) {
    project(id: $id) {
      id
      name
      description
    }
    experiments(filter: { projectId: $id }, first: 100, orderBy: { field: UPDATED_AT, direction: DESC }) {
      totalCount
      edges {
        node {
          id
          name
          description
          status
          runCount
          updatedAt
        }
      }
    }
  }
`);

export function ProjectPage() {
  const { projectId = '' } = useParams<{ projectId: string }>();
  const [result] = useQuery({ query: ProjectQuery, variables: { id: projectId } });
  const project = result.data?.project;
  return (
    <section aria-labelledby="project-title">
      <nav aria-label="Breadcrumb" className="crumbs">
        <Link href={paths.projects()}>Projects</Link>
      </nav>
      <h1 id="project-title">{project?.name ?? 'Project'}</h1>
      {project?.description && <p className="muted">{project.description}</p>}
      {result.error && <ErrorBox error={result.error} />}
      {result.fetching && !result.data && <Loading />}
      {result.data && (
        <table className="plain">
          <caption>Experiments ({result.data.experiments.totalCount})</caption>
          <thead>
            <tr>
              <th scope="col">Name</th>
              <th scope="col">Status</th>
              <th scope="col">Runs</th>
              <th scope="col">Updated</th>
            </tr>
          </thead>
          <tbody>
            {result.data.experiments.edges.map(({ node }) => (
              <tr key={node.id}>
                <td>
                  <Link href={paths.experiment(node.id)}>{node.name}</Link>
                </td>
                <td>{node.status}</td>
                <td>{node.runCount}</td>
                <td>{new Date(node.updatedAt).toLocaleString()}</td>
              </tr>
            ))}
          </tbody>
        </table>
      )}
    </section>
  );
}
