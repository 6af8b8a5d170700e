/**
 * Subscription.metricStream: the run's points as they are stored, from the
 * hub both ingest paths publish to. The caller must be able to READ the run
 * when the subscription starts (NOT_FOUND otherwise, as for queries). The
 * stream knows the run's experiment, so deleting either ends it with NOT_FOUND.
 * With a feed from other replicas, the subscription starts once that feed
 * carries the run; an interrupted feed is an event with a SERVICE_UNAVAILABLE
 * error carrying `eventsMayBeLost: true`, and the stream goes on.
 */
import { labError } from '@lab/shared';
import type { IngestContext } from '../ingest/logMetrics';
import { isUuid, METRIC_NAME } from '../ingest/validate';
import type { QueryContext } from '../query/resolvers';
import type { MetricStreamHub, StreamEvent, StreamPoint } from './metricStreamHub';

export const MAX_STREAM_NAMES = 100;

interface MetricStreamArgs {
  runId: string;
  names?: string[] | null;
}

export function streamResolvers(hub: MetricStreamHub) {
  return {
    Subscription: {
      metricStream: {
        subscribe: async (_: unknown, { runId, names }: MetricStreamArgs, ctx: QueryContext & Pick<IngestContext, 'runs'>) => {
          if (names && (names.length === 0 || names.length > MAX_STREAM_NAMES)) {
            throw labError('BAD_USER_INPUT', `names must list 1 to ${MAX_STREAM_NAMES} metric names (or be omitted)`, {
              field: 'names',
            });
          }
          const badName = names?.find((n) => !METRIC_NAME.test(n));
          if (badName !== undefined) {
            throw labError('BAD_USER_INPUT', `"${badName.slice(0, 200)}" is not a metric name`, { field: 'names' });
          }
          const [readable, experimentId] = isUuid(runId)
            ? await Promise.all([ctx.metrics.access.canRead('RUN', runId), ctx.runs.experimentOf(runId)])
            : [false, null];
          if (!readable || !experimentId) throw labError('NOT_FOUND', `run ${runId} not found`);
          const stream = hub.subscribe(runId, names ?? undefined, experimentId);
          await hub.ready(runId);
          return stream;
        },
        resolve: (event: StreamEvent) => {
          if ('eventsMayBeLost' in event) {
            throw labError(
              'SERVICE_UNAVAILABLE',
              'Points stored by other metrics replicas may have been missed (their feed was interrupted); the stream goes on: refetch Run.metricSeries to fill the gap',
              { service: 'metrics', eventsMayBeLost: true },
            );
          }
          return event;
        },
      },
    },
    MetricPoint: {
      run: (p: StreamPoint) => ({ __typename: 'Run', id: p.runId }),
      timestamp: (p: StreamPoint) => new Date(p.timestampMs).toISOString(),
      tags: (p: StreamPoint) => Object.entries(p.tags).map(([key, value]) => ({ key, value })),
    },
  };
}
