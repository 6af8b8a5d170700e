/**
 * A report as `npm run reconcile` prints it: JSON in the shape of
 * Mutation.reconcile's ReconciliationReport, or a table for people.
 */
import { type Finding, type ReconciliationReport, remaining, type Scanned } from '@lab/registry/reconcile';

/** The report as JSON: the fields and names of GraphQL's ReconciliationReport. */
export interface ReportJson {
  startedAt: string;
  finishedAt: string;
  repair: boolean;
  graceHours: number;
  findings: Finding[];
  remaining: number;
  scanned: Scanned;
}

export function toJson(report: ReconciliationReport): ReportJson {
  return {
    startedAt: report.startedAt.toISOString(),
    finishedAt: report.finishedAt.toISOString(),
    repair: report.repair,
    graceHours: report.graceMs / 3_600_000,
    findings: report.findings,
    remaining: remaining(report),
    scanned: report.scanned,
  };
}

function pad(text: string, width: number): string {
  return text.length >= width ? text : text + ' '.repeat(width - text.length);
}

function scannedLine(s: Scanned): string {
  return [
    `${s.fileOwners} file owners`,
    `${s.unknownKeys} unknown keys`,
    `${s.metricRuns} runs with metrics`,
    `${s.datasetVersions} READY dataset versions`,
    `${s.modelVersions} model versions from runs`,
    `${s.activeOperations} active operations`,
  ].join(', ');
}

function findingRows(findings: readonly Finding[]): string[] {
  const kind = Math.max(4, ...findings.map((f) => f.kind.length));
  const entity = Math.max(6, ...findings.map((f) => f.entityType.length + 1 + f.entityId.length));
  const header = `${pad('KIND', kind)}  ${pad('ENTITY', entity)}  REPAIRED  DETAIL`;
  const rows = findings.map(
    (f) =>
      `${pad(f.kind, kind)}  ${pad(`${f.entityType} ${f.entityId}`, entity)}  ${pad(f.repaired ? 'yes' : 'no', 8)}  ${f.detail}`,
  );
  return [header, ...rows];
}

/** The report as a table: what was scanned, each finding, and the totals. */
export function formatTable(report: ReportJson): string {
  const mode = report.repair ? 'repairing' : 'report only';
  const lines = [
    `Reconciliation of ${report.startedAt} (${mode}, grace ${report.graceHours} h)`,
    `Scanned: ${scannedLine(report.scanned)}`,
    '',
  ];
  if (report.findings.length === 0) {
    lines.push('Nothing found: the stores agree.');
  } else {
    lines.push(...findingRows(report.findings), '');
    const repaired = report.findings.length - report.remaining;
    lines.push(`${report.findings.length} found, ${repaired} repaired, ${report.remaining} remaining`);
    if (!report.repair) lines.push('Run again with --repair to repair them.');
  }
  return `${lines.join('\n')}\n`;
}
