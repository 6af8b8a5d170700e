/**
 * The one module that reads process.env. Every variable is validated at start;
 * a bad value stops the process with a message naming the variable and what it
 * accepts. Unset store URLs mean "use the embedded store".
 */
import path from 'node:path';
import { z } from 'zod';

const port = (fallback: number) =>
  z.coerce
    .number({ invalid_type_error: 'must be a port number' })
    .int('must be an integer')
    .min(0, 'must be 0 (any free port) to 65535')
    .max(65535, 'must be 0 (any free port) to 65535')
    .default(fallback);

const optionalUrl = (protocols: string[]) =>
  z
    .string()
    .trim()
    .optional()
    .transform((v) => (v ? v : undefined))
    .refine(
      (v) => {
        if (v === undefined) return true;
        try {
          return protocols.includes(new URL(v).protocol);
        } catch {
          return false;
        }
      },
      { message: `must be a URL starting with ${protocols.map((p) => `${p}//`).join(' or ')}` },
    );

const optionalString = z
  .string()
  .optional()
  .transform((v) => (v ? v : undefined));

const bool = (fallback: boolean) =>
  z
    .enum(['true', 'false', '1', '0', 'yes', 'no'], {
      errorMap: () => ({ message: 'must be one of true, false, 1, 0, yes, no' }),
    })
    .optional()
    .transform((v) => (v === undefined ? fallback : ['true', '1', 'yes'].includes(v)));

const mebibytes = (fallback: number, min: number, max: number) =>
  z.coerce
    .number({ invalid_type_error: 'must be a number of MiB' })
    .int('must be a whole number of MiB')
    .min(min, `must be ${min} to ${max} (MiB)`)
    .max(max, `must be ${min} to ${max} (MiB)`)
    .default(fallback);

/** A whole number from 0 (often: the check is off) to max. */
const count = (fallback: number, max: number) =>
  z.coerce
    .number({ invalid_type_error: 'must be a whole number' })
    .int('must be a whole number')
    .min(0, `must be 0 to ${max}`)
    .max(max, `must be 0 to ${max}`)
    .default(fallback);

const envSchema = z.object({
  NODE_ENV: z.enum(['development', 'production', 'test']).default('development'),
  LOG_LEVEL: z.enum(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent']).default('info'),
  LOG_FORMAT: z.enum(['json', 'pretty']).optional(),
  LAB_DATA_DIR: z.string().min(1).default('.data'),
  LAB_HOST: z.string().min(1).default('127.0.0.1'),
  /** Key of the bootstrap admin; API keys travel as `Authorization: Bearer <key>`. */
  LAB_ADMIN_API_KEY: optionalString.refine((v) => v === undefined || v.length >= 16, {
    message: 'must be at least 16 characters',
  }),
  /** Bearer token of GET /metrics on the gateway (Prometheus scrapers); /metrics is off without it. */
  LAB_METRICS_TOKEN: optionalString.refine((v) => v === undefined || v.length >= 16, {
    message: 'must be at least 16 characters',
  }),
  /** HMAC secret the gateway signs the caller context with; subgraphs check it. */
  LAB_INTERNAL_SECRET: optionalString.refine((v) => v === undefined || v.length >= 32, {
    message: 'must be at least 32 characters',
  }),
  /** JWT bearer tokens for front ends (docs/api/identity-and-scopes.md): HS256 with a shared secret, RS256/ES256 with a JWKS. */
  LAB_JWT_SECRET: optionalString.refine((v) => v === undefined || v.length >= 32, {
    message: 'must be at least 32 characters (256 bits for HS256)',
  }),
  LAB_JWT_JWKS_URL: optionalUrl(['http:', 'https:']),
  LAB_JWT_JWKS_FILE: optionalString,
  LAB_JWT_ISSUER: optionalString,
  /** One audience, or several separated by commas. */
  LAB_JWT_AUDIENCE: optionalString,
  LAB_JWT_CLOCK_TOLERANCE_SECONDS: z.coerce
    .number({ invalid_type_error: 'must be a number of seconds' })
    .int('must be a whole number of seconds')
    .min(0, 'must be 0 to 300 (seconds)')
    .max(300, 'must be 0 to 300 (seconds)')
    .default(30),
  GATEWAY_PORT: port(4000),
  REGISTRY_PORT: port(4001),
  METRICS_PORT: port(4002),
  ARTIFACTS_PORT: port(4003),
  REGISTRY_URL: optionalUrl(['http:', 'https:']),
  METRICS_URL: optionalUrl(['http:', 'https:']),
  ARTIFACTS_URL: optionalUrl(['http:', 'https:']),
  /** Ports of the embedded stores started by `npm start`; 0 picks a free port. */
  LAB_POSTGRES_PORT: port(5433),
  LAB_S3_PORT: port(4569),

  DATABASE_URL: optionalUrl(['postgres:', 'postgresql:']),
  /** Shared state across replicas (live streams, rate limits, APQ); unset keeps it all in each process. */
  LAB_REDIS_URL: optionalUrl(['redis:', 'rediss:']),

  CLICKHOUSE_URL: optionalUrl(['http:', 'https:']),
  CLICKHOUSE_USER: z.string().default('default'),
  CLICKHOUSE_PASSWORD: z.string().default(''),
  CLICKHOUSE_DATABASE: z
    .string()
    .regex(/^[A-Za-z_][A-Za-z0-9_]{0,62}$/, 'must be a plain identifier (letters, digits, _)')
    .default('lab'),
  /** When set, DDL runs ON CLUSTER with ReplicatedMergeTree tables. */
  CLICKHOUSE_CLUSTER: optionalString.refine((v) => v === undefined || /^[A-Za-z_][A-Za-z0-9_-]*$/.test(v), {
    message: 'must be a cluster name (letters, digits, _ and -)',
  }),
  /** With CLICKHOUSE_CLUSTER: metric points in experiment_metrics_local on each shard behind a Distributed experiment_metrics. */
  CLICKHOUSE_SHARDED: bool(false),
  /** Days metric points are kept (experiment_metrics' TTL, applied at start; ingest refuses older points); 0 keeps them. */
  LAB_METRICS_RETENTION_DAYS: count(365, 3650),

  S3_ENDPOINT: optionalUrl(['http:', 'https:']),
  /** Address clients reach S3 at, used in presigned URLs when it differs from S3_ENDPOINT. */
  S3_PUBLIC_ENDPOINT: optionalUrl(['http:', 'https:']),
  S3_BUCKET: z
    .string()
    .regex(/^[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]$/, 'must be a valid bucket name (3-63 chars: a-z, 0-9, . and -)')
    .default('lab-data'),
  S3_REGION: z.string().min(1).default('us-east-1'),
  S3_ACCESS_KEY_ID: optionalString,
  S3_SECRET_ACCESS_KEY: optionalString,
  S3_FORCE_PATH_STYLE: bool(true),
  /**
   * Whether embedded stores may run: `npm start` launches PostgreSQL and S3, the metrics service opens
   * ClickHouse in-process (chdb). false insists on real servers (checkStoreConfig).
   */
  LAB_EMBEDDED_STORES: bool(true),
  /** Seconds a service may take to stop: in-flight work drains within it (docs/operations/stopping.md). */
  LAB_STOP_TIMEOUT_SECONDS: z.coerce
    .number({ invalid_type_error: 'must be a number of seconds' })
    .min(1, 'must be 1 to 300 (seconds)')
    .max(300, 'must be 1 to 300 (seconds)')
    .default(10),

  /** Files larger than this (MiB) are uploaded in parts; smaller ones with one PUT. */
  ARTIFACTS_MULTIPART_THRESHOLD_MIB: mebibytes(64, 5, 5 * 1024),
  /** Smallest part size (MiB) of a multipart upload; larger files get larger parts so that 10,000 parts hold them. */
  ARTIFACTS_PART_SIZE_MIB: mebibytes(64, 5, 5 * 1024),
  /** Minutes between two sweeps of abandoned multipart uploads (0 turns the timer off). */
  ARTIFACTS_SWEEP_INTERVAL_MINUTES: z.coerce
    .number({ invalid_type_error: 'must be a number of minutes' })
    .int('must be an integer')
    .min(0, 'must be 0 (off) or more')
    .max(24 * 60, 'must be at most 1440 (a day)')
    .default(60),

  /** Days shipped audit events stay in the registry's outbox before they are deleted (0 keeps them). */
  LAB_AUDIT_OUTBOX_RETENTION_DAYS: z.coerce
    .number({ invalid_type_error: 'must be a number of days' })
    .int('must be a whole number of days')
    .min(0, 'must be 0 (keep) or more')
    .max(3650, 'must be at most 3650 (ten years)')
    .default(7),

  /** Hours the registry keeps a mutation's Idempotency-Key and its result (docs/design/idempotency.md). */
  LAB_IDEMPOTENCY_KEY_TTL_HOURS: z.coerce
    .number({ invalid_type_error: 'must be a number of hours' })
    .int('must be a whole number of hours')
    .min(1, 'must be at least 1')
    .max(720, 'must be at most 720 (30 days)')
    .default(24),

  /** Seconds a registry process holds a saga it runs before another may take it over (docs/design/sagas.md). */
  LAB_SAGA_LEASE_SECONDS: z.coerce
    .number({ invalid_type_error: 'must be a number of seconds' })
    .min(1, 'must be at least 1')
    .max(3600, 'must be at most 3600')
    .default(30),
  /** Seconds a saga mutation waits for its saga before answering with the operation still RUNNING. */
  LAB_SAGA_WAIT_SECONDS: z.coerce
    .number({ invalid_type_error: 'must be a number of seconds' })
    .min(0, 'must be 0 or more')
    .max(300, 'must be at most 300')
    .default(10),
  /**
   * Fault injection for the saga fault tests: comma-separated `<kind>/<step>/<fail|crash-before|crash-after>`
   * (docs/design/sagas.md). Empty in production.
   */
  LAB_SAGA_FAULTS: z
    .string()
    .regex(
      /^([a-z.-]+\/[A-Za-z]+\/(fail|crash-before|crash-after))?(,[a-z.-]+\/[A-Za-z]+\/(fail|crash-before|crash-after))*$/,
      'must be <kind>/<step>/<fail|crash-before|crash-after>, comma-separated',
    )
    .default(''),
  /** Minutes between two scheduled reconciliations in the registry (0 turns the schedule off). */
  LAB_RECONCILE_INTERVAL_MINUTES: z.coerce
    .number({ invalid_type_error: 'must be a number of minutes' })
    .int('must be an integer')
    .min(0, 'must be 0 (off) or more')
    .max(7 * 24 * 60, 'must be at most a week')
    .default(60),
  /** Whether the scheduled reconciliation repairs what it finds (else it only reports). */
  LAB_RECONCILE_REPAIR: bool(false),
  /** Hours a file may exist without a registry row before the reconciler calls it an orphan. */
  LAB_RECONCILE_GRACE_HOURS: z.coerce
    .number({ invalid_type_error: 'must be a number of hours' })
    .min(0, 'must be 0 or more')
    .max(24 * 30, 'must be at most 720')
    .default(24),

  /** Gateway protection (docs/api/gateway-protection.md). */
  GATEWAY_BODY_LIMIT_MIB: mebibytes(4, 1, 1024),
  GATEWAY_INGEST_LIMIT_MIB: mebibytes(1024, 1, 64 * 1024),
  GATEWAY_MAX_DEPTH: count(12, 1000),
  GATEWAY_MAX_ALIASES: count(30, 10_000),
  GATEWAY_MAX_TOKENS: count(5_000, 1_000_000),
  GATEWAY_MAX_COST: count(50_000, 1e12),
  GATEWAY_MAX_FIELDS: count(2_000, 1_000_000),
  GATEWAY_MAX_DIRECTIVES: count(50, 1_000_000),
  GATEWAY_MAX_OVERLAPS: count(20_000, 1e12),
  GATEWAY_MAX_VALUE_DEPTH: count(32, 10_000),
  GATEWAY_DEFAULT_LIST_SIZE: count(20, 10_000),
  GATEWAY_RATE_LIMIT_PER_SECOND: z.coerce
    .number({ invalid_type_error: 'must be a number of requests per second' })
    .min(0, 'must be 0 (off) or more')
    .max(1e6, 'must be at most 1000000')
    .default(100),
  GATEWAY_RATE_LIMIT_BURST: count(200, 1e6).refine((v) => v >= 1, { message: 'must be at least 1' }),
  /** Failed authentications per client address (docs/api/gateway-protection.md). */
  GATEWAY_AUTH_FAILURES_PER_SECOND: z.coerce
    .number({ invalid_type_error: 'must be a number of failures per second' })
    .min(0, 'must be 0 (off) or more')
    .max(1e6, 'must be at most 1000000')
    .default(1),
  GATEWAY_AUTH_FAILURE_BURST: count(20, 1e6).refine((v) => v >= 1, { message: 'must be at least 1' }),
  GATEWAY_APQ_CACHE_MIB: mebibytes(16, 0, 1024),
  /** Path of an operation manifest; when set, only its operations run. */
  GATEWAY_OPERATION_ALLOWLIST: optionalString,
  GATEWAY_ALLOWLIST_INTROSPECTION: bool(true),
});

export type Env = z.infer<typeof envSchema>;

const MIB = 1024 * 1024;

export class ConfigError extends Error {
  constructor(readonly problems: string[]) {
    super(`Invalid configuration:\n${problems.map((p) => `  - ${p}`).join('\n')}`);
    this.name = 'ConfigError';
  }
}

export interface Config {
  env: Env['NODE_ENV'];
  logLevel: Env['LOG_LEVEL'];
  logFormat: 'json' | 'pretty';
  dataDir: string;
  host: string;
  adminApiKey: string | undefined;
  /** The bearer token GET /metrics asks for; undefined turns /metrics off. */
  metricsToken: string | undefined;
  internalSecret: string | undefined;
  /** JWT bearer tokens; undefined when no key source (secret, JWKS URL or file) is set. */
  jwt: JwtConfig | undefined;
  embeddedStores: boolean;
  /** Milliseconds a service may take to stop (drain in-flight work, flush, exit); see stopSchedule. */
  stopTimeoutMs: number;
  ports: { gateway: number; registry: number; metrics: number; artifacts: number; postgres: number; s3: number };
  subgraphUrls: { registry: string; metrics: string; artifacts: string };
  postgres: { url: string | undefined };
  /** Redis shared by the replicas (docs/operations/scale-out.md); undefined: each process keeps its own state. */
  redis: { url: string | undefined };
  clickhouse: {
    url: string | undefined;
    user: string;
    password: string;
    database: string;
    cluster: string | undefined;
    /** Points sharded by run over the cluster's shards (experiment_metrics_local behind a Distributed table). */
    sharded: boolean;
    /** Where the embedded engine (chdb) keeps its data when no url is set. */
    embeddedPath: string;
    /** Days metric points are kept (experiment_metrics' TTL); 0 keeps them forever. */
    metricsRetentionDays: number;
  };
  s3: {
    endpoint: string | undefined;
    publicEndpoint: string | undefined;
    bucket: string;
    region: string;
    accessKeyId: string | undefined;
    secretAccessKey: string | undefined;
    forcePathStyle: boolean;
  };
  artifacts: {
    /** Bytes above which an upload is multipart. */
    multipartThresholdBytes: number;
    /** Smallest part size in bytes. */
    partSizeBytes: number;
    /** Milliseconds between sweeps of abandoned multipart uploads; 0 = no timer. */
    sweepIntervalMs: number;
  };
  audit: {
    /** Milliseconds shipped events stay in the registry's outbox; 0 = kept. */
    outboxRetentionMs: number;
  };
  /** Milliseconds the registry keeps a mutation's idempotency key and its result. */
  idempotency: { keyTtlMs: number };
  sagas: {
    leaseMs: number;
    /** How long a saga mutation waits for its saga to finish. */
    waitMs: number;
    /** Injected faults (tests only): `<kind>/<step>/<mode>`. */
    faults: string[];
  };
  reconcile: {
    /** Milliseconds between scheduled runs; 0 = none. */
    intervalMs: number;
    repair: boolean;
    graceMs: number;
  };
  /** Gateway protection; in each limit 0 turns the check off. */
  protection: ProtectionConfig;
}

export interface ProtectionConfig {
  /** Largest JSON body on /graphql, in bytes. */
  bodyLimitBytes: number;
  /** Largest body on POST /v1/metrics (as sent, compressed or not), in bytes. */
  ingestLimitBytes: number;
  operationLimits: {
    maxDepth: number;
    maxAliases: number;
    maxTokens: number;
    maxCost: number;
    maxFields: number;
    maxDirectives: number;
    maxOverlaps: number;
    maxValueDepth: number;
    defaultListSize: number;
  };
  rateLimit: { perSecond: number; burst: number };
  /** Failed authentications per client address: refilled per second, at most burst at once. */
  authFailureLimit: { perSecond: number; burst: number };
  persistedQueries: { cacheBytes: number; allowlistPath: string | undefined; allowIntrospection: boolean };
}

export interface JwtConfig {
  /** HS256 shared secret. */
  secret: string | undefined;
  /** RS256/ES256 keys: a remote JWKS (fetched and cached, refetched for an unknown kid) ... */
  jwksUrl: string | undefined;
  /** ... or a local JWKS file, read at start. */
  jwksFile: string | undefined;
  issuer: string;
  audience: string[];
  clockToleranceSeconds: number;
}

/** Validates `source` (process.env by default) and returns the typed configuration, or throws ConfigError. */
export function loadConfig(source: NodeJS.ProcessEnv = process.env): Config {
  const parsed = envSchema.safeParse(source);
  if (!parsed.success) {
    throw new ConfigError(
      parsed.error.issues.map((issue) => {
        const name = issue.path.join('.');
        const value = source[name];
        const shown = value === undefined || /SECRET|PASSWORD|KEY|TOKEN/.test(name) ? '' : ` (got "${value}")`;
        return `${name} ${issue.message}${shown}`;
      }),
    );
  }
  const e = parsed.data;
  const problems: string[] = [];
  if ((e.S3_ACCESS_KEY_ID === undefined) !== (e.S3_SECRET_ACCESS_KEY === undefined)) {
    problems.push('S3_ACCESS_KEY_ID and S3_SECRET_ACCESS_KEY must be set together');
  }
  const jwtKeys = [e.LAB_JWT_SECRET, e.LAB_JWT_JWKS_URL, e.LAB_JWT_JWKS_FILE].some((v) => v !== undefined);
  if (jwtKeys && (e.LAB_JWT_ISSUER === undefined || e.LAB_JWT_AUDIENCE === undefined)) {
    problems.push(
      'LAB_JWT_ISSUER and LAB_JWT_AUDIENCE must be set when JWTs are accepted (LAB_JWT_SECRET, LAB_JWT_JWKS_URL or LAB_JWT_JWKS_FILE)',
    );
  }
  if (!jwtKeys && (e.LAB_JWT_ISSUER !== undefined || e.LAB_JWT_AUDIENCE !== undefined)) {
    problems.push(
      'LAB_JWT_ISSUER and LAB_JWT_AUDIENCE need a key to check tokens with: LAB_JWT_SECRET, LAB_JWT_JWKS_URL or LAB_JWT_JWKS_FILE',
    );
  }
  if (e.LAB_JWT_AUDIENCE !== undefined && !e.LAB_JWT_AUDIENCE.split(',').some((a) => a.trim())) {
    problems.push('LAB_JWT_AUDIENCE must name at least one audience (several separated by commas)');
  }
  if (e.LAB_JWT_JWKS_URL !== undefined && e.LAB_JWT_JWKS_FILE !== undefined) {
    problems.push('LAB_JWT_JWKS_URL and LAB_JWT_JWKS_FILE are alternatives: set one');
  }
  if (e.CLICKHOUSE_SHARDED && e.CLICKHOUSE_CLUSTER === undefined) {
    problems.push('CLICKHOUSE_SHARDED=true needs CLICKHOUSE_CLUSTER: the cluster whose shards hold the points');
  }
  if (problems.length > 0) throw new ConfigError(problems);

  const dataDir = path.resolve(e.LAB_DATA_DIR);
  const local = (p: number) => `http://${e.LAB_HOST === '0.0.0.0' ? '127.0.0.1' : e.LAB_HOST}:${p}/graphql`;
  return {
    env: e.NODE_ENV,
    logLevel: e.LOG_LEVEL,
    logFormat: e.LOG_FORMAT ?? 'json',
    dataDir,
    host: e.LAB_HOST,
    adminApiKey: e.LAB_ADMIN_API_KEY,
    metricsToken: e.LAB_METRICS_TOKEN,
    internalSecret: e.LAB_INTERNAL_SECRET,
    jwt: jwtKeys
      ? {
          secret: e.LAB_JWT_SECRET,
          jwksUrl: e.LAB_JWT_JWKS_URL,
          jwksFile: e.LAB_JWT_JWKS_FILE && path.resolve(e.LAB_JWT_JWKS_FILE),
          issuer: e.LAB_JWT_ISSUER as string,
          audience: (e.LAB_JWT_AUDIENCE as string)
            .split(',')
            .map((a) => a.trim())
            .filter(Boolean),
          clockToleranceSeconds: e.LAB_JWT_CLOCK_TOLERANCE_SECONDS,
        }
      : undefined,
    embeddedStores: e.LAB_EMBEDDED_STORES,
    stopTimeoutMs: e.LAB_STOP_TIMEOUT_SECONDS * 1000,
    ports: {
      gateway: e.GATEWAY_PORT,
      registry: e.REGISTRY_PORT,
      metrics: e.METRICS_PORT,
      artifacts: e.ARTIFACTS_PORT,
      postgres: e.LAB_POSTGRES_PORT,
      s3: e.LAB_S3_PORT,
    },
    subgraphUrls: {
      registry: e.REGISTRY_URL ?? local(e.REGISTRY_PORT),
      metrics: e.METRICS_URL ?? local(e.METRICS_PORT),
      artifacts: e.ARTIFACTS_URL ?? local(e.ARTIFACTS_PORT),
    },
    postgres: { url: e.DATABASE_URL },
    redis: { url: e.LAB_REDIS_URL },
    clickhouse: {
      url: e.CLICKHOUSE_URL,
      user: e.CLICKHOUSE_USER,
      password: e.CLICKHOUSE_PASSWORD,
      database: e.CLICKHOUSE_DATABASE,
      cluster: e.CLICKHOUSE_CLUSTER,
      sharded: e.CLICKHOUSE_SHARDED,
      embeddedPath: path.join(dataDir, 'clickhouse'),
      metricsRetentionDays: e.LAB_METRICS_RETENTION_DAYS,
    },
    s3: {
      endpoint: e.S3_ENDPOINT,
      publicEndpoint: e.S3_PUBLIC_ENDPOINT,
      bucket: e.S3_BUCKET,
      region: e.S3_REGION,
      accessKeyId: e.S3_ACCESS_KEY_ID,
      secretAccessKey: e.S3_SECRET_ACCESS_KEY,
      forcePathStyle: e.S3_FORCE_PATH_STYLE,
    },
    artifacts: {
      multipartThresholdBytes: e.ARTIFACTS_MULTIPART_THRESHOLD_MIB * MIB,
      partSizeBytes: e.ARTIFACTS_PART_SIZE_MIB * MIB,
      sweepIntervalMs: e.ARTIFACTS_SWEEP_INTERVAL_MINUTES * 60_000,
    },
    audit: { outboxRetentionMs: e.LAB_AUDIT_OUTBOX_RETENTION_DAYS * 24 * 3600 * 1000 },
    idempotency: { keyTtlMs: e.LAB_IDEMPOTENCY_KEY_TTL_HOURS * 3600 * 1000 },
    sagas: {
      leaseMs: e.LAB_SAGA_LEASE_SECONDS * 1000,
      waitMs: e.LAB_SAGA_WAIT_SECONDS * 1000,
      faults: e.LAB_SAGA_FAULTS ? e.LAB_SAGA_FAULTS.split(',') : [],
    },
    reconcile: {
      intervalMs: e.LAB_RECONCILE_INTERVAL_MINUTES * 60_000,
      repair: e.LAB_RECONCILE_REPAIR,
      graceMs: e.LAB_RECONCILE_GRACE_HOURS * 3600 * 1000,
    },
    protection: {
      bodyLimitBytes: e.GATEWAY_BODY_LIMIT_MIB * MIB,
      ingestLimitBytes: e.GATEWAY_INGEST_LIMIT_MIB * MIB,
      operationLimits: {
        maxDepth: e.GATEWAY_MAX_DEPTH,
        maxAliases: e.GATEWAY_MAX_ALIASES,
        maxTokens: e.GATEWAY_MAX_TOKENS,
        maxCost: e.GATEWAY_MAX_COST,
        maxFields: e.GATEWAY_MAX_FIELDS,
        maxDirectives: e.GATEWAY_MAX_DIRECTIVES,
        maxOverlaps: e.GATEWAY_MAX_OVERLAPS,
        maxValueDepth: e.GATEWAY_MAX_VALUE_DEPTH,
        defaultListSize: e.GATEWAY_DEFAULT_LIST_SIZE,
      },
      rateLimit: { perSecond: e.GATEWAY_RATE_LIMIT_PER_SECOND, burst: e.GATEWAY_RATE_LIMIT_BURST },
      authFailureLimit: { perSecond: e.GATEWAY_AUTH_FAILURES_PER_SECOND, burst: e.GATEWAY_AUTH_FAILURE_BURST },
      persistedQueries: {
        cacheBytes: e.GATEWAY_APQ_CACHE_MIB * MIB,
        allowlistPath: e.GATEWAY_OPERATION_ALLOWLIST && path.resolve(e.GATEWAY_OPERATION_ALLOWLIST),
        allowIntrospection: e.GATEWAY_ALLOWLIST_INTROSPECTION,
      },
    },
  };
}

/** The store each subgraph owns, and the variable that points it at a server. */
const STORE_SERVERS = {
  postgresql: { variable: 'DATABASE_URL', service: 'registry', what: 'a PostgreSQL server' },
  clickhouse: { variable: 'CLICKHOUSE_URL', service: 'metrics', what: 'a ClickHouse server' },
  s3: { variable: 'S3_ENDPOINT', service: 'artifacts', what: 'an S3 server' },
} as const;

/**
 * Refuses, with a ConfigError naming the variable, a service start whose store has no server address
 * when it needs one. The registry and the artifacts subgraph always need DATABASE_URL and S3_ENDPOINT
 * (npm start points them at the embedded servers it starts); the metrics subgraph opens ClickHouse
 * in-process (chdb) without CLICKHOUSE_URL, unless LAB_EMBEDDED_STORES=false.
 */
export function checkStoreConfig(
  config: Pick<Config, 'embeddedStores'> & Partial<Pick<Config, 'postgres' | 'clickhouse' | 's3'>>,
  store: keyof typeof STORE_SERVERS,
): void {
  const address =
    store === 'postgresql' ? config.postgres?.url : store === 'clickhouse' ? config.clickhouse?.url : config.s3?.endpoint;
  if (address !== undefined) return;
  const { variable, service, what } = STORE_SERVERS[store];
  if (!config.embeddedStores) {
    throw new ConfigError([
      `${variable} is not set and LAB_EMBEDDED_STORES=false: the ${service} service needs ${what}; set ${variable}` +
        (store === 'clickhouse' ? ' (or allow the embedded ClickHouse with LAB_EMBEDDED_STORES=true)' : ''),
    ]);
  }
  if (store !== 'clickhouse') {
    throw new ConfigError([
      `${variable} is not set: the ${service} service needs ${what} (npm start sets it to the embedded one)`,
    ]);
  }
}

/** Like loadConfig, but prints the problems and exits: for process entry points. */
export function loadConfigOrExit(source: NodeJS.ProcessEnv = process.env): Config {
  try {
    return loadConfig(source);
  } catch (err) {
    if (err instanceof ConfigError) {
      process.stderr.write(`${err.message}\n`);
      process.exit(78); // EX_CONFIG
    }
    throw err;
  }
}
