/**
 * How a run's points of one metric are summed up, the same SQL wherever a
 * summary is read: Run.metrics (QueryStore.summaries) and the registry's run
 * lists ranked by metrics (rankQuery.ts). Grouped by run_id, metric_name,
 * ClickHouse answers them from the step_blocks projection. "Last" is the
 * value at the largest step (queryStore.ts says why argMax by step).
 */
import type { MetricAggregate } from '@lab/shared/internal';

export const SUMMARY_AGGREGATES: Record<MetricAggregate, string> = {
  last: 'argMax(metric_value, step)',
  min: 'min(metric_value)',
  max: 'max(metric_value)',
};
