/**
 * Chunk preparation of POST /v1/metrics: a chunk's lines become metric rows,
 * validated and encoded for one insert. A chunk is atomic: a line that is not
 * a valid point, or names a run the caller may not write (asked of the
 * registry, batched per request: runAccess.ts), refuses all of it (400, every
 * reason by line number, `earlier chunks are stored`). With an Idempotency-Key
 * the digest of the lines as sent, before any default ("now") is filled in,
 * tells a retry of a chunk stored under the key (a duplicate, not stored
 * again) from other lines sent under it (409 CONFLICT).
 */

import { encode } from '../store/ingestStore';
import type { EncodedRows, IngestKeyRecord, MetricRow } from '../store/types';
import type { NumberedLine } from './ndjsonLines';
import { IngestRejection } from './ndjsonRejection';
import type { RunAccess, RunVerdict } from './runAccess';
import { digestOf } from './tokens';
import { ErrorList, isUuid, type MetricPointInput, type TimeRules, validatePoint } from './validate';

/** What every chunk of one request is prepared with. */
export interface ChunkContext {
  /** The request's Idempotency-Key, if any. */
  key: string | undefined;
  /** With a key: the chunks already stored under it, by index. */
  stored: Map<number, IngestKeyRecord> | undefined;
  /** One "now" for the whole request, and the retention timestamps must fall within. */
  rules: TimeRules;
  runs: RunAccess;
}

export interface PreparedChunk {
  batch: EncodedRows;
  /** The digest of the lines as sent (with a key). */
  digest: string | undefined;
  /** Stored under the key by an earlier attempt: not to be stored again. */
  duplicate: boolean;
}

/** The rows of the lines that are valid points, the line of each, and every reason a line is refused. */
function parseLines(lines: readonly NumberedLine[], rules: TimeRules) {
  const errors = new ErrorList();
  const rows: MetricRow[] = [];
  const rowLines: number[] = [];
  const runIds = new Set<string>();
  for (const { line, raw } of lines) {
    let parsed: unknown;
    try {
      parsed = JSON.parse(raw);
    } catch {
      errors.add(line, 'not valid JSON');
      continue;
    }
    if (typeof parsed !== 'object' || parsed === null || Array.isArray(parsed)) {
      errors.add(line, 'each line must be a JSON object');
      continue;
    }
    const p = parsed as MetricPointInput & { runId?: unknown };
    const point = validatePoint(p, rules);
    const runOk = isUuid(p.runId);
    if ('reasons' in point || !runOk) {
      const reasons = 'reasons' in point ? point.reasons : [];
      if (!runOk) reasons.unshift('runId must be a UUID');
      errors.add(line, reasons.join('; '));
      continue;
    }
    const runId = (p.runId as string).toLowerCase();
    runIds.add(runId);
    rows.push({ ...point, runId, experimentId: '' });
    rowLines.push(line);
  }
  return { errors, rows, rowLines, runIds };
}

/**
 * Parses, validates and encodes one chunk; throws an IngestRejection naming its
 * bad lines, or its key's other lines. Empties `lines` once read: the raw text
 * is not held while the registry and the insert are waited for.
 */
export async function prepareChunk(lines: NumberedLine[], index: number, context: ChunkContext): Promise<PreparedChunk> {
  const { key, stored, rules, runs } = context;
  // The digest of the lines as sent, before any default ("now") is filled in: a retry has the same.
  const digest = key ? digestOf(lines.map((l) => l.raw)) : undefined;
  const before = stored?.get(index);
  if (before && before.digest !== digest) {
    throw new IngestRejection({
      code: 'CONFLICT',
      reason: 'IDEMPOTENCY_KEY_REUSED',
      message: `Idempotency-Key ${JSON.stringify(key)} was used for other lines in chunk ${index} (lines ${lines[0]?.line}–${lines.at(-1)?.line}); earlier chunks are stored; send new points with a new key`,
    });
  }
  const { errors, rows, rowLines, runIds } = parseLines(lines, rules);
  const first = lines[0]?.line;
  const last = lines.at(-1)?.line;
  lines.length = 0;
  const verdicts = new Map<string, RunVerdict>();
  await Promise.all([...runIds].map(async (id) => verdicts.set(id, await runs.check(id))));
  for (let i = 0; i < rows.length; i++) {
    const row = rows[i] as MetricRow;
    const v = verdicts.get(row.runId);
    if (v?.ok) row.experimentId = v.experimentId;
    else if (v) errors.add(rowLines[i] as number, v.reason);
  }
  if (!errors.empty) {
    errors.errors.sort((a, b) => a.index - b.index);
    throw new IngestRejection({
      code: 'BAD_USER_INPUT',
      message: `${errors.summary('line')} of chunk ${index} (lines ${first}–${last}); earlier chunks are stored`,
      errors: errors.errors.map((e) => ({ line: e.index, reason: e.reason })),
      errorCount: errors.count,
    });
  }
  return { batch: encode(rows), digest, duplicate: before !== undefined };
}
