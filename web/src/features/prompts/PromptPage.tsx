/**
 * One prompt template: its versions (newest first), the chosen version's
 * text and variables, and a render preview filled by the API's renderPrompt
 * (the platform's own substitution, so the preview is what clients get).
 */
import { type FormEvent, useState } from 'react';
import { type CombinedError, useQuery } from 'urql';
import { useParams } from 'wouter';
import { paths } from '../../app/paths';
import { useLabClient } from '../../app/session';
import { EntryHead } from '../../components/QueryState';
import { ErrorBox, formatTime } from '../../components/status';
import { Tags } from '../../components/Tags';
import { graphql } from '../../gql';
import type { PromptTemplateQuery, RenderPromptQuery } from '../../gql/graphql';
import '../pages.css';

export const PromptTemplateDoc = graphql(`
  query PromptTemplate($id: ID!) {
    promptTemplate(id: $id) {
      id
      name
      description
      project {
        id
        name
      }
      versions(first: 100) {
        totalCount
        edges {
          node {
            id
            version
            template
            variables
            commitMessage
            aliases
            createdAt
            createdBy {
              id
              name
            }
          }
        }
      }
    }
  }
`);

export const RenderPromptDoc = graphql(`
  query RenderPrompt($templateId: ID!, $version: Int!, $values: JSONObject!) {
    renderPrompt(templateId: $templateId, version: $version, values: $values) {
      text
      unusedValues
    }
  }
`);

type PromptVersionNode = NonNullable<PromptTemplateQuery['promptTemplate']>['versions']['edges'][number]['node'];

export function PromptPage() {
  const { promptId = '' } = useParams<{ promptId: string }>();
  const [result] = useQuery({ query: PromptTemplateDoc, variables: { id: promptId } });
  const template = result.data?.promptTemplate;
  const [chosen, setChosen] = useState<number | null>(null);
  const versions = template?.versions.edges.map((e) => e.node) ?? [];
  const version = versions.find((v) => v.version === chosen) ?? versions[0];
  return (
    <section aria-labelledby="prompt-title">
      <EntryHead
        titleId="prompt-title"
        fallback="Prompt template"
        list={{ href: paths.prompts(), label: 'Prompt templates' }}
        entry={template}
        projectHref={paths.project}
        result={result}
      />
      {template && versions.length === 0 && <p className="muted">No version yet.</p>}
      {template && version && (
        <div className="prompt-layout">
          <nav aria-label="Versions" className="version-list">
            <h2>Versions ({template.versions.totalCount})</h2>
            <ul>
              {versions.map((v) => (
                <li key={v.id}>
                  <button
                    type="button"
                    className={v.version === version.version ? 'link current' : 'link'}
                    aria-current={v.version === version.version ? 'true' : undefined}
                    onClick={() => setChosen(v.version)}
                  >
                    Version {v.version}
                  </button>
                  <Tags names={v.aliases} />
                </li>
              ))}
            </ul>
          </nav>
          <VersionView key={version.id} templateId={template.id} version={version} />
        </div>
      )}
    </section>
  );
}

function VersionView({ templateId, version }: { templateId: string; version: PromptVersionNode }) {
  const { urql } = useLabClient();
  const [values, setValues] = useState<Record<string, string>>({});
  const [rendered, setRendered] = useState<RenderPromptQuery['renderPrompt'] | null>(null);
  const [error, setError] = useState<CombinedError | null>(null);
  const [busy, setBusy] = useState(false);
  const render = async (event: FormEvent) => {
    event.preventDefault();
    setBusy(true);
    const result = await urql
      .query(RenderPromptDoc, { templateId, version: version.version, values }, { requestPolicy: 'network-only' })
      .toPromise();
    setBusy(false);
    setError(result.error ?? null);
    setRendered(result.data?.renderPrompt ?? null);
  };
  return (
    <article aria-labelledby="version-title" className="prompt-version">
      <h2 id="version-title">Version {version.version}</h2>
      <p className="muted">
        {version.commitMessage || 'No message'} · {formatTime(version.createdAt)} by {version.createdBy.name}
      </p>
      <h3>Template</h3>
      <pre className="prompt-text">{version.template}</pre>
      <h3>Render preview</h3>
      <form onSubmit={render} className="render-form">
        {version.variables.length === 0 && <p className="muted">This version has no variables.</p>}
        {version.variables.map((name) => (
          <label key={name}>
            <span className="mono">{name}</span>
            <textarea
              rows={2}
              value={values[name] ?? ''}
              onChange={(e) => setValues((old) => ({ ...old, [name]: e.target.value }))}
            />
          </label>
        ))}
        <button type="submit" className="primary" disabled={busy}>
          Render
        </button>
      </form>
      {error && <ErrorBox error={error} />}
      {rendered && (
        <section aria-label="Rendered prompt">
          <pre className="prompt-text">{rendered.text}</pre>
          {rendered.unusedValues.length > 0 && <p className="muted">Unused values: {rendered.unusedValues.join(', ')}</p>}
        </section>
      )}
    </article>
  );
}
