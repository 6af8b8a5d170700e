/** Datasets the caller may read: name, project, version count. */
import { paths } from '../../app/paths';
import { CatalogListPage } from '../../components/CatalogListPage';
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
  return (
    <CatalogListPage
      title="Datasets"
      titleId="datasets-title"
      query={DatasetsDoc}
      entries={(data) => data.datasets}
      href={paths.dataset}
      projectHref={paths.project}
      columns={[
        { header: 'Versions', cell: (d) => d.versions.totalCount },
        { header: 'Newest', cell: (d) => d.versions.edges[0]?.node.label ?? '—', className: 'mono' },
      ]}
    />
  );
}
