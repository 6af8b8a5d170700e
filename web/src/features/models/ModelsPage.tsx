/** Registered models the caller may read: name, project, newest version, aliases. */
import { paths } from '../../app/paths';
import { CatalogListPage, latestVersionColumns } from '../../components/CatalogListPage';
import { graphql } from '../../gql';
import '../pages.css';

export const ModelsDoc = graphql(`
  query Models($search: String) {
    models(first: 100, filter: { nameSearch: $search }, orderBy: { field: UPDATED_AT, direction: DESC }) {
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

export function ModelsPage() {
  return (
    <CatalogListPage
      title="Models"
      titleId="models-title"
      query={ModelsDoc}
      entries={(data) => data.models}
      href={paths.model}
      projectHref={paths.project}
      columns={latestVersionColumns}
    />
  );
}
