/** A project's experiments, each with its run count. */
import { useQuery } from 'urql';
import { Link, useParams } from 'wouter';
import { paths } from '../../app/paths';
import { DataTable } from '../../components/DataTable';
import { PageHead } from '../../components/QueryState';
import { formatTime } from '../../components/status';
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
      <PageHead
        titleId="project-title"
        title={project?.name ?? 'Project'}
        crumbs={[{ href: paths.projects(), label: 'Projects' }]}
        description={project?.description}
        result={result}
      />
      {result.data && (
        <DataTable
          caption={`Experiments (${result.data.experiments.totalCount})`}
          rows={result.data.experiments.edges.map((e) => e.node)}
          columns={[
            { header: 'Name', cell: (x) => <Link href={paths.experiment(x.id)}>{x.name}</Link> },
            { header: 'Status', cell: (x) => x.status },
            { header: 'Runs', cell: (x) => x.runCount },
            { header: 'Updated', cell: (x) => formatTime(x.updatedAt) },
          ]}
        />
      )}
    </section>
  );
}
