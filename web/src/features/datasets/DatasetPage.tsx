/** One dataset: its versions newest first (format, size, rows, status, the runs that read them) and, opened on demand, their files. */
import { useQuery } from 'urql';
import { Link, useParams } from 'wouter';
import { paths } from '../../app/routes';
import { Disclosure } from '../../components/Disclosure';
import { FileTable, formatBytes } from '../../components/FileTable';
import { ErrorBox, formatNumber, formatTime, Loading } from '../../components/status';
import { graphql } from '../../gql';
import '../pages.css';

export const DatasetDoc = graphql(`
  query Dataset($id: ID!) {
    dataset(id: $id) {
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
            label
            format
            status
            sizeBytes
            rowCount
            checksum
            createdAt
            readByRuns {
              id
              name
            }
          }
        }
      }
    }
  }
`);

export const DatasetVersionFilesDoc = graphql(`
  query DatasetVersionFiles($id: ID!) {
    datasetVersion(id: $id) {
      id
      files(first: 200) {
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

/** BigInt fields arrive as JSON numbers or strings; shown as numbers. */
function asNumber(value: unknown): number | null {
  if (value == null) return null;
  const n = Number(value);
  return Number.isFinite(n) ? n : null;
}

export function DatasetPage() {
  const { datasetId = '' } = useParams<{ datasetId: string }>();
  const [result] = useQuery({ query: DatasetDoc, variables: { id: datasetId } });
  const dataset = result.data?.dataset;
  return (
    <section aria-labelledby="dataset-title">
      <nav aria-label="Breadcrumb" className="crumbs">
        <Link href={paths.datasets()}>Datasets</Link>
        {dataset && <Link href={paths.project(dataset.project.id)}>{dataset.project.name}</Link>}
      </nav>
      <h1 id="dataset-title">{dataset?.name ?? 'Dataset'}</h1>
      {dataset?.description && <p className="muted">{dataset.description}</p>}
      {result.error && <ErrorBox error={result.error} />}
      {result.fetching && !result.data && <Loading />}
      {dataset && (
        <>
          <h2 id="dversions-title">Versions ({dataset.versions.totalCount})</h2>
          {dataset.versions.edges.length === 0 ? (
            <p className="muted">No version yet.</p>
          ) : (
            <ul className="versions" aria-labelledby="dversions-title">
              {dataset.versions.edges.map(({ node }) => {
                const size = asNumber(node.sizeBytes);
                return (
                  <li key={node.id}>
                    <Disclosure
                      summary={
                        <>
                          <strong className="mono">{node.label}</strong> <span className="tag">{node.status}</span>{' '}
                          <span className="muted">
                            {node.format}, {size == null ? 'size unknown' : formatBytes(size)},{' '}
                            {formatNumber(asNumber(node.rowCount))} rows, {formatTime(node.createdAt)}
                          </span>
                        </>
                      }
                    >
                      {node.checksum && <p className="mono muted">{node.checksum}</p>}
                      <p>
                        Read by:{' '}
                        {node.readByRuns.length === 0
                          ? '—'
                          : node.readByRuns.map((run, i) => (
                              <span key={run.id}>
                                {i > 0 && ', '}
                                <Link href={paths.run(run.id)}>{run.name}</Link>
                              </span>
                            ))}
                      </p>
                      <VersionFiles versionId={node.id} />
                    </Disclosure>
                  </li>
                );
              })}
            </ul>
          )}
        </>
      )}
    </section>
  );
}

function VersionFiles({ versionId }: { versionId: string }) {
  const [result] = useQuery({ query: DatasetVersionFilesDoc, variables: { id: versionId } });
  if (result.error) return <ErrorBox error={result.error} />;
  const files = result.data?.datasetVersion?.files;
  if (!files) return <Loading />;
  return <FileTable caption="Files" files={files.edges.map((e) => e.node)} total={files.totalCount} />;
}
