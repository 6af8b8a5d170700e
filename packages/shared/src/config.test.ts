import { describe, expect, it } from 'vitest';
import { ConfigError, loadConfig } from './config';

function problemsOf(env: NodeJS.ProcessEnv): string[] {
  try {
    loadConfig(env);
  } catch (err) {
    if (err instanceof ConfigError) return err.problems;
    throw err;
  }
  return [];
}

describe('loadConfig', () => {
  it('gives working defaults on an empty environment: embedded stores, gateway on 4000', () => {
    const config = loadConfig({});
    expect(config.ports.gateway).toBe(4000);
    expect(config.postgres.url).toBeUndefined();
    expect(config.clickhouse.url).toBeUndefined();
    expect(config.s3.endpoint).toBeUndefined();
    expect(config.dataDir).toMatch(/\.data$/);
    expect(config.clickhouse.database).toBe('lab');
  });

  it('names each bad variable and what it accepts', () => {
    const problems = problemsOf({
      GATEWAY_PORT: 'eighty',
      DATABASE_URL: 'mysql://x',
      CLICKHOUSE_URL: 'not a url',
      S3_BUCKET: 'Bad_Bucket',
      LAB_ADMIN_API_KEY: 'short',
    });
    expect(problems.join('\n')).toMatch(/GATEWAY_PORT must be a port number/);
    expect(problems.join('\n')).toMatch(/DATABASE_URL must be a URL starting with postgres:\/\/ or postgresql:\/\//);
    expect(problems.join('\n')).toMatch(/CLICKHOUSE_URL must be a URL/);
    expect(problems.join('\n')).toMatch(/S3_BUCKET must be a valid bucket name/);
    expect(problems.join('\n')).toMatch(/LAB_ADMIN_API_KEY must be at least 16 characters/);
  });

  it('never echoes a secret in its message', () => {
    const problems = problemsOf({ LAB_ADMIN_API_KEY: 'tiny-secret', LAB_INTERNAL_SECRET: 'also-short' });
    expect(problems.join('\n')).not.toContain('tiny-secret');
    expect(problems.join('\n')).not.toContain('also-short');
  });

  it('takes LAB_METRICS_TOKEN for GET /metrics (16+ characters, never echoed); unset turns /metrics off', () => {
    expect(loadConfig({}).metricsToken).toBeUndefined();
    expect(loadConfig({ LAB_METRICS_TOKEN: 'scrape-token-0123456789' }).metricsToken).toBe('scrape-token-0123456789');
    const problems = problemsOf({ LAB_METRICS_TOKEN: 'short-token' }).join('\n');
    expect(problems).toMatch(/LAB_METRICS_TOKEN must be at least 16 characters/);
    expect(problems).not.toContain('short-token');
  });

  it('wants S3 credentials in pairs', () => {
    expect(problemsOf({ S3_ACCESS_KEY_ID: 'AKIA' })).toEqual(['S3_ACCESS_KEY_ID and S3_SECRET_ACCESS_KEY must be set together']);
  });

  it('shares state through Redis only when LAB_REDIS_URL is set; shards ClickHouse only on a cluster', () => {
    expect(loadConfig({}).redis.url).toBeUndefined();
    expect(loadConfig({ LAB_REDIS_URL: '' }).redis.url).toBeUndefined();
    expect(loadConfig({ LAB_REDIS_URL: 'redis://cache:6379' }).redis.url).toBe('redis://cache:6379');
    expect(problemsOf({ LAB_REDIS_URL: 'http://cache:6379' })[0]).toMatch(
      /^LAB_REDIS_URL must be a URL starting with redis:\/\/ or rediss:\/\//,
    );
    expect(problemsOf({ CLICKHOUSE_SHARDED: 'true' })).toEqual([
      'CLICKHOUSE_SHARDED=true needs CLICKHOUSE_CLUSTER: the cluster whose shards hold the points',
    ]);
    expect(loadConfig({ CLICKHOUSE_CLUSTER: 'lab', CLICKHOUSE_SHARDED: 'true' }).clickhouse).toMatchObject({
      cluster: 'lab',
      sharded: true,
    });
  });

  it('switches each store to a real server by its variable', () => {
    const config = loadConfig({
      DATABASE_URL: 'postgresql://u:p@db:5432/lab',
      CLICKHOUSE_URL: 'http://ch:8123',
      CLICKHOUSE_USER: 'lab',
      CLICKHOUSE_PASSWORD: 'pw',
      CLICKHOUSE_DATABASE: 'metrics',
      S3_ENDPOINT: 'http://minio:9000',
      S3_ACCESS_KEY_ID: 'a',
      S3_SECRET_ACCESS_KEY: 'b',
    });
    expect(config.postgres.url).toBe('postgresql://u:p@db:5432/lab');
    expect(config.clickhouse).toMatchObject({ url: 'http://ch:8123', user: 'lab', password: 'pw', database: 'metrics' });
    expect(config.s3).toMatchObject({ endpoint: 'http://minio:9000', accessKeyId: 'a', secretAccessKey: 'b' });
  });

  it("reads the artifacts upload settings in MiB and refuses parts below S3's 5 MiB minimum", () => {
    expect(loadConfig({}).artifacts).toEqual({
      multipartThresholdBytes: 64 * 1024 * 1024,
      partSizeBytes: 64 * 1024 * 1024,
      sweepIntervalMs: 3_600_000,
    });
    expect(loadConfig({ ARTIFACTS_MULTIPART_THRESHOLD_MIB: '16', ARTIFACTS_PART_SIZE_MIB: '8' }).artifacts).toMatchObject({
      multipartThresholdBytes: 16 * 1024 * 1024,
      partSizeBytes: 8 * 1024 * 1024,
    });
    expect(problemsOf({ ARTIFACTS_PART_SIZE_MIB: '1' }).join('\n')).toMatch(/ARTIFACTS_PART_SIZE_MIB must be 5 to 5120/);
  });

  it('accepts JWTs only with a key, an issuer and an audience', () => {
    expect(loadConfig({}).jwt).toBeUndefined();
    const jwt = loadConfig({
      LAB_JWT_SECRET: 'j'.repeat(32),
      LAB_JWT_ISSUER: 'https://login.lab.test/',
      LAB_JWT_AUDIENCE: 'lab-api, lab-console',
    }).jwt;
    expect(jwt).toEqual({
      secret: 'j'.repeat(32),
      jwksUrl: undefined,
      jwksFile: undefined,
      issuer: 'https://login.lab.test/',
      audience: ['lab-api', 'lab-console'],
      clockToleranceSeconds: 30,
    });
    expect(problemsOf({ LAB_JWT_JWKS_URL: 'https://login.lab.test/jwks.json' }).join('\n')).toMatch(
      /LAB_JWT_ISSUER and LAB_JWT_AUDIENCE must be set/,
    );
    expect(problemsOf({ LAB_JWT_ISSUER: 'x', LAB_JWT_AUDIENCE: 'y' }).join('\n')).toMatch(/need a key/);
    const bad = problemsOf({ LAB_JWT_SECRET: 'short-secret', LAB_JWT_CLOCK_TOLERANCE_SECONDS: '3600' }).join('\n');
    expect(bad).toMatch(/LAB_JWT_SECRET must be at least 32 characters/);
    expect(bad).not.toContain('short-secret');
    expect(bad).toMatch(/LAB_JWT_CLOCK_TOLERANCE_SECONDS must be 0 to 300/);
  });

  it('reads the gateway protection settings, 0 turning a limit off', () => {
    expect(loadConfig({}).protection).toEqual({
      bodyLimitBytes: 4 * 1024 * 1024,
      ingestLimitBytes: 1024 * 1024 * 1024,
      operationLimits: {
        maxDepth: 12,
        maxAliases: 30,
        maxTokens: 5000,
        maxCost: 50_000,
        maxFields: 2000,
        maxDirectives: 50,
        maxOverlaps: 20_000,
        maxValueDepth: 32,
        defaultListSize: 20,
      },
      rateLimit: { perSecond: 100, burst: 200 },
      authFailureLimit: { perSecond: 1, burst: 20 },
      persistedQueries: { cacheBytes: 16 * 1024 * 1024, allowlistPath: undefined, allowIntrospection: true },
    });
    const protection = loadConfig({
      GATEWAY_BODY_LIMIT_MIB: '8',
      GATEWAY_MAX_DEPTH: '0',
      GATEWAY_MAX_FIELDS: '500',
      GATEWAY_MAX_VALUE_DEPTH: '8',
      GATEWAY_RATE_LIMIT_PER_SECOND: '0.5',
      GATEWAY_APQ_CACHE_MIB: '0',
      GATEWAY_OPERATION_ALLOWLIST: 'ops.json',
      GATEWAY_ALLOWLIST_INTROSPECTION: 'false',
    }).protection;
    expect(protection).toMatchObject({
      bodyLimitBytes: 8 * 1024 * 1024,
      operationLimits: { maxDepth: 0, maxFields: 500, maxValueDepth: 8 },
      rateLimit: { perSecond: 0.5 },
      persistedQueries: { cacheBytes: 0, allowlistPath: expect.stringMatching(/\/ops\.json$/), allowIntrospection: false },
    });
    const bad = problemsOf({ GATEWAY_MAX_COST: '-1', GATEWAY_RATE_LIMIT_BURST: '0', GATEWAY_MAX_TOKENS: 'many' }).join('\n');
    expect(bad).toMatch(/GATEWAY_MAX_COST must be 0 to/);
    expect(bad).toMatch(/GATEWAY_RATE_LIMIT_BURST must be at least 1/);
    expect(bad).toMatch(/GATEWAY_MAX_TOKENS must be a whole number/);
  });
});
