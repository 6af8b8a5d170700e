/** What an import did and left out, as JSON (`--json`) and as the text the CLI prints. */
import type { LeftOut } from './runFields';
import type { RunOutcome } from './runImport';

export interface SummaryRun {
  mlflowRunId: string;
  runId: string;
  outcome: RunOutcome['kind'];
  /** Points sent for it by this import. */
  points: number;
}

export interface ImportSummary {
  experiments: { created: number; reused: number; deletedSkipped: number };
  runs: { imported: number; completed: number; alreadyImported: number; deletedSkipped: number };
  runList: SummaryRun[];
  params: number;
  tags: number;
  metrics: { series: number; pointsSent: number; pointsAlreadyThere: number; invalidPoints: number };
  /** Points older than the platform's retention, which it would drop: left out. */
  retention?: { days: number; pointsLeftOut: number; oldest: string; newest: string };
  artifacts: { uploaded: number; bytes: number; alreadyThere: number };
  /** Everything the platform's rules kept out (a key, a name, a value too long), with the reason. */
  leftOut: LeftOut[];
  seconds: number;
}

export function newSummary(): ImportSummary {
  return {
    experiments: { created: 0, reused: 0, deletedSkipped: 0 },
    runs: { imported: 0, completed: 0, alreadyImported: 0, deletedSkipped: 0 },
    runList: [],
    params: 0,
    tags: 0,
    metrics: { series: 0, pointsSent: 0, pointsAlreadyThere: 0, invalidPoints: 0 },
    artifacts: { uploaded: 0, bytes: 0, alreadyThere: 0 },
    leftOut: [],
    seconds: 0,
  };
}

const MAX_LEFT_OUT_LINES = 50;

export function formatSummary(s: ImportSummary): string {
  const n = (x: number) => x.toLocaleString('en-US');
  const lines = [
    `experiments: ${n(s.experiments.created)} created, ${n(s.experiments.reused)} already there, ${n(s.experiments.deletedSkipped)} deleted in MLflow (skipped)`,
    `runs:        ${n(s.runs.imported)} imported, ${n(s.runs.completed)} completed, ${n(s.runs.alreadyImported)} already imported, ${n(s.runs.deletedSkipped)} deleted in MLflow (skipped)`,
    `params ${n(s.params)}, tags ${n(s.tags)}, metric series ${n(s.metrics.series)}`,
    `points:      ${n(s.metrics.pointsSent)} sent, ${n(s.metrics.pointsAlreadyThere)} already there, ${n(s.metrics.invalidPoints)} not storable (NaN, infinite, bad step)`,
    `artifacts:   ${n(s.artifacts.uploaded)} uploaded (${n(s.artifacts.bytes)} bytes), ${n(s.artifacts.alreadyThere)} already there`,
  ];
  if (s.retention) {
    lines.push(
      `retention:   ${n(s.retention.pointsLeftOut)} points from ${s.retention.oldest} to ${s.retention.newest} are older than the platform keeps (${s.retention.days} days, LAB_METRICS_RETENTION_DAYS): left out`,
    );
  }
  if (s.leftOut.length > 0) {
    lines.push(`left out (${n(s.leftOut.length)}):`);
    for (const l of s.leftOut.slice(0, MAX_LEFT_OUT_LINES)) lines.push(`  ${l.what}: ${l.reason}`);
    if (s.leftOut.length > MAX_LEFT_OUT_LINES)
      lines.push(`  ... and ${n(s.leftOut.length - MAX_LEFT_OUT_LINES)} more (--json lists all)`);
  }
  const rate = s.seconds > 0 ? ` (${n(Math.round(s.metrics.pointsSent / s.seconds))} points/s)` : '';
  lines.push(`took ${s.seconds.toFixed(1)} s${rate}`);
  return `${lines.join('\n')}\n`;
}
