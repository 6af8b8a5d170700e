/**
 * One model: its aliases (set one to a version, remove one), its versions
 * newest first with their source run and, opened on demand, their files.
 */
import { type FormEvent, useRef, useState } from 'react';
import { useMutation, useQuery } from 'urql';
import { Link, useParams } from 'wouter';
import { paths } from '../../app/paths';
import { DataTable } from '../../components/DataTable';
import { QueriedFiles } from '../../components/FileTable';
import { EntryHead } from '../../components/QueryState';
import { ErrorBox, formatTime } from '../../components/status';
import { Tags } from '../../components/Tags';
import { VersionList } from '../../components/VersionList';
import { graphql } from '../../gql';
import '../pages.css';

export const ModelDoc = graphql(`
  query Model($id: ID!) {
    model(id: $id) {
      id
      name
      description
      tags
      project {
        id
        name
      }
      aliases {
        alias
        updatedAt
        version {
          id
          version
        }
      }
      versions(first: 100) {
        totalCount
        edges {
          node {
            id
            version
            description
            aliases
            createdAt
            createdBy {
              id
              name
            }
            sourceRun {
              id
              name
            }
          }
        }
      }
    }
  }
`);

export const SetModelAliasDoc = graphql(`
  mutation SetModelAlias($modelId: ID!, $alias: String!, $version: Int!) {
    setModelAlias(modelId: $modelId, alias: $alias, version: $version) {
      alias
      version {
        id
        version
        aliases
      }
    }
  }
`);

export const DeleteModelAliasDoc = graphql(`
  mutation DeleteModelAlias($modelId: ID!, $alias: String!) {
    deleteModelAlias(modelId: $modelId, alias: $alias)
  }
`);

export const ModelVersionFilesDoc = graphql(`
  query ModelVersionFiles($id: ID!) {
    modelVersion(id: $id) {
      id
      artifacts(first: 200) {
        ...FileConnectionFields
      }
    }
  }
`);

export function ModelPage() {
  const { modelId = '' } = useParams<{ modelId: string }>();
  const [result, refetch] = useQuery({ query: ModelDoc, variables: { id: modelId } });
  const model = result.data?.model;
  return (
    <section aria-labelledby="model-title">
      <EntryHead
        titleId="model-title"
        fallback="Model"
        list={{ href: paths.models(), label: 'Models' }}
        entry={model}
        projectHref={paths.project}
        result={result}
      />
      {model && (
        <>
          <Aliases
            modelId={model.id}
            aliases={model.aliases}
            versions={model.versions.edges.map((e) => e.node.version)}
            onChange={() => refetch({ requestPolicy: 'network-only' })}
          />
          <VersionList
            titleId="versions-title"
            total={model.versions.totalCount}
            versions={model.versions.edges.map((e) => e.node)}
            summary={(v) => (
              <>
                <strong>Version {v.version}</strong>
                <Tags names={v.aliases} />{' '}
                <span className="muted">
                  {formatTime(v.createdAt)} by {v.createdBy.name}
                </span>
              </>
            )}
            details={(v) => (
              <>
                {v.description && <p>{v.description}</p>}
                <p>Source run: {v.sourceRun ? <Link href={paths.run(v.sourceRun.id)}>{v.sourceRun.name}</Link> : '—'}</p>
                <VersionFiles versionId={v.id} />
              </>
            )}
          />
        </>
      )}
    </section>
  );
}

function Aliases({
  modelId,
  aliases,
  versions,
  onChange,
}: {
  modelId: string;
  aliases: { alias: string; updatedAt: string; version: { version: number } }[];
  versions: number[];
  onChange(): void;
}) {
  const [alias, setAlias] = useState('');
  const aliasInput = useRef<HTMLInputElement>(null);
  const [version, setVersion] = useState<string>(versions[0] !== undefined ? String(versions[0]) : '');
  const [set, setAliasMutation] = useMutation(SetModelAliasDoc);
  const [removed, removeAlias] = useMutation(DeleteModelAliasDoc);
  const submit = async (event: FormEvent) => {
    event.preventDefault();
    const result = await setAliasMutation({ modelId, alias: alias.trim(), version: Number(version) });
    if (!result.error) {
      setAlias('');
      aliasInput.current?.focus();
      onChange();
    }
  };
  return (
    <section aria-labelledby="aliases-title" className="panel">
      <h2 id="aliases-title">Aliases</h2>
      {aliases.length === 0 ? (
        <p className="muted">No alias set.</p>
      ) : (
        <DataTable
          labelledBy="aliases-title"
          rows={aliases.map((a) => ({ ...a, id: a.alias }))}
          columns={[
            { header: 'Alias', cell: (a) => <span className="tag">{a.alias}</span> },
            { header: 'Version', cell: (a) => a.version.version },
            { header: 'Updated', cell: (a) => formatTime(a.updatedAt) },
            {
              header: 'Actions',
              hiddenHeader: true,
              cell: (a) => (
                <button
                  type="button"
                  aria-label={`Remove alias ${a.alias}`}
                  disabled={removed.fetching}
                  onClick={async () => {
                    const result = await removeAlias({ modelId, alias: a.alias });
                    aliasInput.current?.focus();
                    if (!result.error) onChange();
                  }}
                >
                  Remove
                </button>
              ),
            },
          ]}
        />
      )}
      {versions.length > 0 && (
        <form className="inline-form" onSubmit={submit} aria-label="Set an alias">
          <label>
            Alias{' '}
            <input
              ref={aliasInput}
              type="text"
              value={alias}
              onChange={(e) => setAlias(e.target.value)}
              required
              maxLength={256}
            />
          </label>
          <label>
            Version{' '}
            <select value={version} onChange={(e) => setVersion(e.target.value)}>
              {versions.map((v) => (
                <option key={v} value={v}>
                  {v}
                </option>
              ))}
            </select>
          </label>
          <button type="submit" className="primary" disabled={set.fetching || !alias.trim()}>
            Set alias
          </button>
        </form>
      )}
      {set.error && <ErrorBox error={set.error} />}
      {removed.error && <ErrorBox error={removed.error} />}
    </section>
  );
}

function VersionFiles({ versionId }: { versionId: string }) {
  const [result] = useQuery({ query: ModelVersionFilesDoc, variables: { id: versionId } });
  return <QueriedFiles result={result} files={(data) => data.modelVersion?.artifacts} />;
}
