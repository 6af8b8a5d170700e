/**
 * Files of a run, a dataset version or a model version: name, size, type,
 * time and a download link. The link is the presigned GET the API hands out
 * (another origin: the browser navigates to it, the app never fetch()es it).
 */
import type { UseQueryState } from 'urql';
import { graphql } from '../gql';
import { DataTable } from './DataTable';
import { ErrorBox, formatTime, Loading } from './status';

/** The fields FileTable shows, for any list of files (run outputs, dataset or model version files). */
export const FileConnectionFields = graphql(`
  fragment FileConnectionFields on ArtifactConnection {
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
`);

export interface FileRow {
  id: string;
  name: string;
  sizeBytes: number;
  contentType?: string | null;
  lastModified: string;
  downloadUrl: string;
}

const UNITS = ['B', 'KB', 'MB', 'GB', 'TB', 'PB'];

/** 1536 → "1.5 KB" (powers of 1024, three significant digits). */
export function formatBytes(bytes: number): string {
  let value = bytes;
  let unit = 0;
  while (value >= 1024 && unit < UNITS.length - 1) {
    value /= 1024;
    unit++;
  }
  return unit === 0 ? `${bytes} B` : `${Number(value.toPrecision(3))} ${UNITS[unit]}`;
}

export interface FileConnection {
  totalCount: number;
  edges: readonly { node: FileRow }[];
}

/** The files a query brought (its error, or "Loading…" until they came). */
export function QueriedFiles<Data>({
  result,
  files,
  caption = 'Files',
}: {
  result: UseQueryState<Data>;
  files(data: Data): FileConnection | null | undefined;
  caption?: string;
}) {
  if (result.error) return <ErrorBox error={result.error} />;
  const connection = result.data && files(result.data);
  if (!connection) return <Loading />;
  return <FileTable caption={caption} files={connection.edges.map((e) => e.node)} total={connection.totalCount} />;
}

export function FileTable({ files, total, caption }: { files: readonly FileRow[]; total?: number; caption: string }) {
  if (files.length === 0) return <p className="muted">No files.</p>;
  const sum = files.reduce((s, f) => s + f.sizeBytes, 0);
  return (
    <DataTable
      className="plain files"
      caption={
        <>
          {caption}: {total ?? files.length} ({formatBytes(sum)}
          {total !== undefined && total > files.length ? ` in the first ${files.length}` : ''})
        </>
      }
      rows={files}
      columns={[
        { header: 'Name', cell: (f) => f.name, className: 'mono' },
        { header: 'Size', cell: (f) => formatBytes(f.sizeBytes), className: 'num' },
        { header: 'Type', cell: (f) => f.contentType ?? '—' },
        { header: 'Modified', cell: (f) => formatTime(f.lastModified) },
        {
          header: 'Download',
          hiddenHeader: true,
          cell: (f) => (
            <a href={f.downloadUrl} download={f.name.split('/').pop()} aria-label={`Download ${f.name}`} rel="noreferrer">
              Download
            </a>
          ),
        },
      ]}
    />
  );
}
