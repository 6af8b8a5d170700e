/** One dataset: its versions newest first (format, size, rows, status, the runs that read them) and, opened on demand, their files. */
import { useQuery } from 'urql';
import { Link, useParams } from 'wouter';
import { paths } from '../../app/paths';
import { formatBytes, QueriedFiles } from '../../components/FileTable';
import { EntryHead } from '../../components/QueryState';
import { formatNumber, formatTime } from '../../components/status';
import { VersionList } from '../../components/VersionList';
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
        ...FileConnectionFields
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
      <EntryHead
        titleId="dataset-title"
        fallback="Dataset"
        list={{ href: paths.datasets(), label: 'Datasets' }}
        entry={dataset}
        projectHref={paths.project}
        result={result}
      />
      {dataset && (
        <VersionList
          titleId="dversions-title"
          total={dataset.versions.totalCount}
          versions={dataset.versions.edges.map((e) => e.node)}
          summary={(v) => {
            const size = asNumber(v.sizeBytes);
            return (
              <>
                <strong className="mono">{v.label}</strong> <span className="tag">{v.status}</span>{' '}
                <span className="muted">
                  {v.format}, {size == null ? 'size unknown' : formatBytes(size)}, {formatNumber(asNumber(v.rowCount))} rows,{' '}
                  {formatTime(v.createdAt)}
                </span>
              </>
            );
          }}
          details={(v) => (
            <>
              {v.checksum && <p className="mono muted">{v.checksum}</p>}
              <p>
                Read by:{' '}
                {v.readByRuns.length === 0
                  ? '—'
                  : v.readByRuns.map((run, i) => (
                      <span key={run.id}>
                        {i > 0 && ', '}
                        <Link href={paths.run(run.id)}>{run.name}</Link>
                      </span>
                    ))}
              </p>
              <VersionFiles versionId={v.id} />
            </>
          )}
        />
      )}
    </section>
  );
}

function VersionFiles({ versionId }: { versionId: string }) {
  const [result] = useQuery({ query: DatasetVersionFilesDoc, variables: { id: versionId } });
  return <QueriedFiles result={result} files={(data) => data.datasetVersion?.files} />;
}
