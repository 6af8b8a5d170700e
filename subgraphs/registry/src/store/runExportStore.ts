/**
 * The registry's half of the runs CSV (GET /v1/export/experiments/{id}/runs.csv):
 * the experiment, the columns its runs need (param and tag keys, the dotted
 * leaf paths of their configs), all their ids, and their rows a page at a
 * time in a stable order (created_at, id). Read through the pg pool: plain
 * rows, no Prisma mapping. Deleted runs and experiments are gone here too.
 */
import type pg from 'pg';

export interface ExportedExperiment {
  id: string;
  name: string;
  projectId: string;
}

/** The columns the runs' JSON objects need: keys sorted, config leaf paths as key arrays. */
export interface RunColumns {
  params: string[];
  tags: string[];
  config: string[][];
}

export interface ExportedRun {
  id: string;
  name: string;
  status: string;
  createdAt: Date;
  startTime: Date | null;
  endTime: Date | null;
  params: Record<string, unknown>;
  tags: Record<string, unknown>;
  config: Record<string, unknown>;
  sourceCommit: string | null;
  sourceBranch: string | null;
  sourceDirty: boolean | null;
  sourceEntryPoint: string | null;
  sourceHost: string | null;
  /** created_at as PostgreSQL writes it (microseconds kept): the page cursor. */
  cursorAt: string;
}

/** Where the next page starts: after this run. */
export interface RunPageCursor {
  /** ExportedRun.cursorAt */
  createdAt: string;
  id: string;
}

const LIVE_RUNS = 'r.experiment_id = $1::uuid AND r.deleted_at IS NULL';

export class RunExportStore {
  constructor(private readonly pool: pg.Pool) {}

  /** The experiment (not deleted), or null. */
  async experiment(id: string): Promise<ExportedExperiment | null> {
    const { rows } = await this.pool.query<ExportedExperiment>(
      'SELECT id, name, project_id AS "projectId" FROM experiments WHERE id = $1::uuid AND deleted_at IS NULL',
      [id],
    );
    return rows[0] ?? null;
  }

  /** The union of the runs' param keys, tag keys and config leaf paths (one query). */
  async columns(experimentId: string): Promise<RunColumns> {
    const { rows } = await this.pool.query<{ kind: string; path: string[] }>(
      `WITH RECURSIVE walk(path, value) AS (
         SELECT ARRAY[e.key], e.value FROM runs r, jsonb_each(CASE WHEN jsonb_typeof(r.config) = 'object' THEN r.config ELSE '{}'::jsonb END) e
         WHERE ${LIVE_RUNS}
         UNION ALL
         SELECT w.path || e.key, e.value FROM walk w, jsonb_each(w.value) e WHERE jsonb_typeof(w.value) = 'object'
       )
       SELECT DISTINCT 'config' AS kind, path FROM walk WHERE jsonb_typeof(value) <> 'object' OR value = '{}'::jsonb
       UNION ALL
       SELECT DISTINCT 'params', ARRAY[k] FROM runs r, jsonb_object_keys(CASE WHEN jsonb_typeof(r.params) = 'object' THEN r.params ELSE '{}'::jsonb END) k WHERE ${LIVE_RUNS}
       UNION ALL
       SELECT DISTINCT 'tags', ARRAY[k] FROM runs r, jsonb_object_keys(CASE WHEN jsonb_typeof(r.tags) = 'object' THEN r.tags ELSE '{}'::jsonb END) k WHERE ${LIVE_RUNS}`,
      [experimentId],
    );
    const columns: RunColumns = { params: [], tags: [], config: [] };
    for (const row of rows) {
      if (row.kind === 'config') columns.config.push(row.path);
      else columns[row.kind as 'params' | 'tags'].push(row.path[0] as string);
    }
    const byText = (a: string, b: string) => (a < b ? -1 : a > b ? 1 : 0);
    columns.params.sort(byText);
    columns.tags.sort(byText);
    columns.config.sort((a, b) => byText(a.join('.'), b.join('.')));
    return columns;
  }

  /** Every run id of the experiment, in page order. */
  async runIds(experimentId: string): Promise<string[]> {
    const { rows } = await this.pool.query<{ ids: string | null }>(
      `SELECT string_agg(r.id::text, ',' ORDER BY r.created_at, r.id) AS ids FROM runs r WHERE ${LIVE_RUNS}`,
      [experimentId],
    );
    return rows[0]?.ids ? rows[0].ids.split(',') : [];
  }

  /** Up to `limit` runs after the cursor, by (created_at, id). */
  async page(experimentId: string, after: RunPageCursor | undefined, limit: number): Promise<ExportedRun[]> {
    const keyset = after ? ' AND (r.created_at, r.id) > ($2::timestamptz, $3::uuid)' : '';
    const { rows } = await this.pool.query<ExportedRun>(
      `SELECT r.id, r.name, r.status::text AS status, r.created_at AS "createdAt", r.start_time AS "startTime",
         r.end_time AS "endTime", r.params, r.tags, r.config, r.source_commit AS "sourceCommit",
         r.source_branch AS "sourceBranch", r.source_dirty AS "sourceDirty", r.source_entry_point AS "sourceEntryPoint",
         r.source_host AS "sourceHost", r.created_at::text AS "cursorAt"
       FROM runs r WHERE ${LIVE_RUNS}${keyset}
       ORDER BY r.created_at, r.id LIMIT ${Math.max(1, Math.floor(limit))}`,
      after ? [experimentId, after.createdAt, after.id] : [experimentId],
    );
    return rows;
  }
}
