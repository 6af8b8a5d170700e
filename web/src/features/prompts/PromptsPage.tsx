/** Prompt templates the caller may read: name, project, newest version, aliases. */
import { paths } from '../../app/paths';
import { CatalogListPage, latestVersionColumns } from '../../components/CatalogListPage';
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
  return (
    <CatalogListPage
      title="Prompt templates"
      titleId="prompts-title"
      query={PromptTemplatesDoc}
      entries={(data) => data.promptTemplates}
      href={paths.prompt}
      projectHref={paths.project}
      columns={latestVersionColumns}
    />
  );
}
