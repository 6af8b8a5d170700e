/**
 * What a reconciliation found (reconciler.ts): one finding per thing a fault
 * left behind, whether it was repaired, and what was scanned.
 */

export const FINDING_KINDS = [
  'ORPHAN_FILES',
  'MISSING_FILES',
  'METRICS_OF_DELETED_RUN',
  'STUCK_OPERATION',
  'PENDING_DATASET_VERSION',
] as const;

/**
 * ORPHAN_FILES            files in S3 whose run, dataset version or model version is gone (or FAILED)
 * MISSING_FILES           a READY dataset version or a model version made of a run without its files
 * METRICS_OF_DELETED_RUN  metric points of a run that is gone
 * STUCK_OPERATION         a saga not advanced for a while
 * PENDING_DATASET_VERSION a PENDING dataset version nobody commits
 */
export type FindingKind = (typeof FINDING_KINDS)[number];

export interface Finding {
  kind: FindingKind;
  /** Run, DatasetVersion, ModelVersion or Operation. */
  entityType: string;
  entityId: string;
  /** What was found, and what the repair did (or why it could not). */
  detail: string;
  repaired: boolean;
}

export interface Scanned {
  /** Owners (runs, dataset versions, model versions) having files in the bucket. */
  fileOwners: number;
  /** Keys in the bucket outside the owner layouts (reported by artifacts, never deleted). */
  unknownKeys: number;
  /** Runs having metric points. */
  metricRuns: number;
  /** READY dataset versions checked for their files. */
  datasetVersions: number;
  /** Model versions made of a run's files, checked for their files. */
  modelVersions: number;
  /** Sagas running or compensating. */
  activeOperations: number;
}

export interface ReconciliationReport {
  startedAt: Date;
  finishedAt: Date;
  repair: boolean;
  graceMs: number;
  findings: Finding[];
  scanned: Scanned;
}

export function emptyScan(): Scanned {
  return { fileOwners: 0, unknownKeys: 0, metricRuns: 0, datasetVersions: 0, modelVersions: 0, activeOperations: 0 };
}

/** Findings not repaired (all of them when the run only reported). */
export function remaining(report: Pick<ReconciliationReport, 'findings'>): number {
  return report.findings.filter((f) => !f.repaired).length;
}

/** Found and repaired, by kind (kinds with none left out). */
export function countsByKind(findings: readonly Finding[]): Partial<Record<FindingKind, { found: number; repaired: number }>> {
  const counts: Partial<Record<FindingKind, { found: number; repaired: number }>> = {};
  for (const f of findings) {
    const c = counts[f.kind] ?? { found: 0, repaired: 0 };
    c.found++;
    if (f.repaired) c.repaired++;
    counts[f.kind] = c;
  }
  return counts;
}

/** "3 files, 1.5 MiB" */
export function describeFiles(count: number, bytes: number): string {
  return `${count} file${count === 1 ? '' : 's'}, ${formatBytes(bytes)}`;
}

export function formatBytes(bytes: number): string {
  const units = ['bytes', 'KiB', 'MiB', 'GiB', 'TiB'];
  let value = bytes;
  let unit = 0;
  while (value >= 1024 && unit < units.length - 1) {
    value /= 1024;
    unit++;
  }
  return unit === 0 ? `${bytes} bytes` : `${value.toFixed(1)} ${units[unit]}`;
}

/** "3 h", "2 d": how long ago `ms` was, roughly. */
export function age(fromMs: number, nowMs: number): string {
  const minutes = Math.max(0, Math.round((nowMs - fromMs) / 60_000));
  if (minutes < 120) return `${minutes} min`;
  const hours = Math.round(minutes / 60);
  return hours < 48 ? `${hours} h` : `${Math.round(hours / 24)} d`;
}
