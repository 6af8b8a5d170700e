/**
 * Looks straight into the stores of a test platform, around the services, to
 * check what a fault left behind: the objects under an S3 prefix, rows in
 * PostgreSQL, the runs having points in ClickHouse (asked from the metrics
 * service as the registry would ask it), and the reconciler's findings.
 */
import { ListObjectsV2Command, S3Client } from '@aws-sdk/client-s3';
import { callInternal, INTERNAL_API_SENDER, type ListMetricRunsResult, METRICS_INTERNAL } from '@lab/shared/internal';
import pg from 'pg';
import type { TestPlatform } from './testPlatform';

export interface StoreProbe {
  /** Keys under a prefix of the bucket. */
  keys(prefix: string): Promise<string[]>;
  /** Rows of a query on the registry's database. */
  rows<T>(sql: string, params?: unknown[]): Promise<T[]>;
  /** Ids of the runs that have metric points. */
  metricRuns(): Promise<Set<string>>;
  /** What the reconciler finds now (report only; grace 0). */
  findings(): Promise<{ kind: string; entityType: string; entityId: string; detail: string }[]>;
  close(): Promise<void>;
}

export async function probeStores(platform: TestPlatform): Promise<StoreProbe> {
  const s3 = new S3Client({
    endpoint: platform.serviceEnv.S3_ENDPOINT,
    region: platform.config.s3.region,
    forcePathStyle: true,
    credentials: {
      accessKeyId: platform.serviceEnv.S3_ACCESS_KEY_ID ?? '',
      secretAccessKey: platform.serviceEnv.S3_SECRET_ACCESS_KEY ?? '',
    },
  });
  const bucket = platform.config.s3.bucket;
  const db = new pg.Pool({ connectionString: platform.serviceEnv.DATABASE_URL, max: 2 });
  db.on('error', () => {});
  return {
    async keys(prefix) {
      const keys: string[] = [];
      let token: string | undefined;
      do {
        const page = await s3.send(new ListObjectsV2Command({ Bucket: bucket, Prefix: prefix, ContinuationToken: token }));
        keys.push(...(page.Contents ?? []).map((o) => o.Key ?? ''));
        token = page.IsTruncated ? page.NextContinuationToken : undefined;
      } while (token);
      return keys;
    },
    async rows<T>(sql: string, params: unknown[] = []) {
      return (await db.query(sql, params)).rows as T[];
    },
    async metricRuns() {
      const url = platform.services.metrics.url;
      if (!url) throw new Error('the metrics service has no URL');
      const runs = new Set<string>();
      let after: string | undefined;
      do {
        const page = await callInternal<ListMetricRunsResult>(url, METRICS_INTERNAL.runs, after ? { after } : {}, {
          internalSecret: platform.serviceEnv.LAB_INTERNAL_SECRET ?? '',
          caller: { id: INTERNAL_API_SENDER, kind: 'service', scopes: ['*'] },
          requestId: 'e2e-probe',
        });
        for (const run of page.runs) runs.add(run.runId);
        after = page.next ?? undefined;
      } while (after);
      return runs;
    },
    async findings() {
      const answer = await platform.gql<{
        reconcile: { findings: { kind: string; entityType: string; entityId: string; detail: string }[] };
      }>('mutation { reconcile(repair: false, graceHours: 0) { findings { kind entityType entityId detail } } }');
      if (!answer.body.data) throw new Error(`reconcile failed: ${JSON.stringify(answer.body.errors)}`);
      return answer.body.data.reconcile.findings;
    },
    async close() {
      s3.destroy();
      await db.end();
    },
  };
}
