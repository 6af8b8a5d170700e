/**
 * One model: its aliases (set one to a version, remove one), its versions
 * newest first with their source run and, opened on demand, their files.
 */
import { type FormEvent, useRef, useState } from 'react';
import { useMutation, useQuery } from 'urql';
import { Link, useParams } from 'wouter';
import { paths } from '../../app/routes';
import { Disclosure } from '../../components/Disclosure';
import { FileTable } from '../../components/FileTable';
import { ErrorBox, formatTime, Loading } from '../../components/status';
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
        totalCount
        edges {
          node {
            id
            name
            sizeBytes
            contentType
            lastModified
            downloadUrl(expiresIn: 3600)
          }
        }
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
      <nav aria-label="Breadcrumb" className="crumbs">
        <Link href={paths.models()}>Models</Link>
        {model && <Link href={paths.project(model.project.id)}>{model.project.name}</Link>}
      </nav>
      <h1 id="model-title">{model?.name ?? 'Model'}</h1>
      {model?.description && <p className="muted">{model.description}</p>}
      {result.error && <ErrorBox error={result.error} />}
      {result.fetching && !result.data && <Loading />}
      {model && (
        <>
          <Aliases
            modelId={model.id}
            aliases={model.aliases}
            versions={model.versions.edges.map((e) => e.node.version)}
            onChange={() => refetch({ requestPolicy: 'network-only' })}
          />
          <h2 id="versions-title">Versions ({model.versions.totalCount})</h2>
          {model.versions.edges.length === 0 ? (
            <p className="muted">No version yet.</p>
          ) : (
            <ul className="versions" aria-labelledby="versions-title">
              {model.versions.edges.map(({ node }) => (
                <li key={node.id}>
                  <Disclosure
                    summary={
                      <>
                        <strong>Version {node.version}</strong>
                        {node.aliases.map((a) => (
                          <span key={a} className="tag">
                            {a}
                          </span>
                        ))}{' '}
                        <span className="muted">
                          {formatTime(node.createdAt)} by {node.createdBy.name}
                        </span>
                      </>
                    }
                  >
                    {node.description && <p>{node.description}</p>}
                    <p>
                      Source run: {node.sourceRun ? <Link href={paths.run(node.sourceRun.id)}>{node.sourceRun.name}</Link> : '—'}
                    </p>
                    <VersionFiles versionId={node.id} />
                  </Disclosure>
                </li>
              ))}
            </ul>
          )}
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
        <table className="plain" aria-labelledby="aliases-title">
          <thead>
            <tr>
              <th scope="col">Alias</th>
              <th scope="col">Version</th>
              <th scope="col">Updated</th>
              <th scope="col">
                <span className="visually-hidden">Actions</span>
              </th>
            </tr>
          </thead>
          <tbody>
            {aliases.map((a) => (
              <tr key={a.alias}>
                <td>
                  <span className="tag">{a.alias}</span>
                </td>
                <td>{a.version.version}</td>
                <td>{formatTime(a.updatedAt)}</td>
                <td>
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
                </td>
              </tr>
            ))}
          </tbody>
        </table>
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
  if (result.error) return <ErrorBox error={result.error} />;
  const artifacts = result.data?.modelVersion?.artifacts;
  if (!artifacts) return <Loading />;
  return <FileTable caption="Files" files={artifacts.edges.map((e) => e.node)} total={artifacts.totalCount} />;
}
