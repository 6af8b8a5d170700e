/** The versions of a model or dataset, newest first: a line each, opened on demand into its details (files, runs). */
import type { ReactNode } from 'react';
import { Disclosure } from './Disclosure';

export function VersionList<Version extends { id: string }>({
  titleId,
  total,
  versions,
  summary,
  details,
}: {
  titleId: string;
  total: number;
  versions: readonly Version[];
  summary(version: Version): ReactNode;
  /** Mounted when the version is opened (its queries run then). */
  details(version: Version): ReactNode;
}) {
  return (
    <>
      <h2 id={titleId}>Versions ({total})</h2>
      {versions.length === 0 ? (
        <p className="muted">No version yet.</p>
      ) : (
        <ul className="versions" aria-labelledby={titleId}>
          {versions.map((version) => (
            <li key={version.id}>
              <Disclosure summary={summary(version)}>{details(version)}</Disclosure>
            </li>
          ))}
        </ul>
      )}
    </>
  );
}
