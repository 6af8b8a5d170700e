/**
 * The gateway's Prometheus metrics, one registry per process (`gatewayMetrics`):
 * GraphQL operations, subgraph fetches, active subscriptions, rate-limited
 * requests, API usage shipping, and Node's process metrics. GET /metrics
 * (metricsEndpoint.ts) serves it.
 *
 * Label cardinality is bounded: operation names are chosen by clients, so
 * only the first MAX_OPERATION_NAMES distinct names get their own series and
 * the rest are folded into "other"; error codes are the registered ones
 * (anything else is "other"); subgraph names come from the supergraph.
 *
 * Other gateway behaviours report here through the small helpers at the end:
 * `trackSubscription()` when a client subscription starts (call the returned
 * function when it ends), `countRateLimited()` when a request is refused by
 * the rate limiter, `countApiKeyLookup()` for each call to the registry about
 * API keys, `observeSubgraphFetch()` around each fetch from a subgraph.
 */
import { isErrorCode } from '@lab/shared';
import { Counter, type CounterConfiguration, collectDefaultMetrics, Gauge, Histogram, Registry } from 'prom-client';

/** Distinct operation names with their own series; later names are counted as "other". */
export const MAX_OPERATION_NAMES = 200;
/** The label of operations past MAX_OPERATION_NAMES. */
export const OTHER = 'other';
/** The label of operations without a name. */
export const ANONYMOUS = 'anonymous';

/** Seconds: from 5 ms to a minute (gateway operations and subgraph fetches alike). */
const DURATION_BUCKETS = [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60];
const OPERATION_TYPES = new Set(['query', 'mutation', 'subscription']);

/** Keeps the first `max` distinct values; any other value reads as "other". */
export class BoundedLabel {
  private readonly seen = new Set<string>();

  constructor(readonly max: number) {}

  of(value: string): string {
    if (this.seen.has(value)) return value;
    if (this.seen.size >= this.max) return OTHER;
    this.seen.add(value);
    return value;
  }
}

/** A registered error code, or "other". */
export function codeLabel(code: unknown): string {
  return isErrorCode(code) ? code : OTHER;
}

/**
 * Series of a counter counted in plain numbers (a labelled inc hashes its
 * labels each time), each with its labels object made once, which the
 * histogram of the same labels reuses; the counter takes the counts when scraped.
 */
class CountedSeries<L extends string> {
  private readonly series = new Map<string, { labels: Record<L, string>; count: number }>();

  /** The series of a key, made with its labels the first time. */
  of(key: string, labels: () => Record<L, string>): { labels: Record<L, string>; count: number } {
    let found = this.series.get(key);
    if (!found) {
      found = { labels: labels(), count: 0 };
      this.series.set(key, found);
    }
    return found;
  }

  /** The prom-client counter showing these counts. */
  counter(configuration: CounterConfiguration<L>): Counter<L> {
    const { series } = this;
    return new Counter<L>({
      ...configuration,
      collect() {
        for (const s of series.values()) {
          if (s.count === 0) continue;
          this.inc(s.labels, s.count);
          s.count = 0;
        }
      },
    });
  }
}

export interface OperationObservation {
  /** The operation's name; undefined or '' when anonymous. */
  operationName: string | undefined;
  /** query, mutation or subscription; anything else (a document that did not parse or validate) is "unknown". */
  operationType: string | undefined;
  seconds: number;
  /** The distinct extensions.code values of its errors (none when it succeeded). */
  errorCodes: readonly string[];
}

export class GatewayMetrics {
  readonly registry = new Registry();
  private readonly names: BoundedLabel;

  // The counts on the request path are plain numbers per series, handed to prom-client when scraped.
  private readonly operationSeries = new CountedSeries<'operation' | 'type'>();
  private readonly subgraphSeries = new CountedSeries<'subgraph'>();
  private readonly operationErrors = new Counter({
    name: 'lab_gateway_operation_errors_total',
    help: 'GraphQL operations answered with at least one error of the code, by operation name, type and extensions.code.',
    labelNames: ['operation', 'type', 'code'] as const,
    registers: [this.registry],
  });
  private readonly operationDuration = new Histogram({
    name: 'lab_gateway_operation_duration_seconds',
    help: 'Time from the request arriving to the answer being sent, by operation name and type.',
    labelNames: ['operation', 'type'] as const,
    buckets: DURATION_BUCKETS,
    registers: [this.registry],
  });
  private readonly subgraphErrors = new Counter({
    name: 'lab_gateway_subgraph_errors_total',
    help: 'Subgraph fetches that failed or answered errors, by extensions.code (SERVICE_UNAVAILABLE: unreachable or 5xx).',
    labelNames: ['subgraph', 'code'] as const,
    registers: [this.registry],
  });
  private readonly subgraphDuration = new Histogram({
    name: 'lab_gateway_subgraph_request_duration_seconds',
    help: 'Duration of fetches from the gateway to a subgraph.',
    labelNames: ['subgraph'] as const,
    buckets: DURATION_BUCKETS,
    registers: [this.registry],
  });
  private readonly activeSubscriptions = new Gauge({
    name: 'lab_gateway_active_subscriptions',
    help: 'Client subscriptions open on the gateway.',
    registers: [this.registry],
  });
  private readonly rateLimitedRequests = new Counter({
    name: 'lab_gateway_rate_limited_total',
    help: 'Requests refused by the rate limiter (RATE_LIMITED, 429).',
    registers: [this.registry],
  });
  private readonly apiKeyLookups = new Counter({
    name: 'lab_gateway_api_key_lookups_total',
    help: 'Calls to the registry about API keys: authenticate (one key not in the cache), revalidate (a batch of keys in use re-checked).',
    labelNames: ['kind'] as const,
    registers: [this.registry],
  });
  private readonly usageSent = new Counter({
    name: 'lab_gateway_api_usage_records_sent_total',
    help: 'API usage records the metrics subgraph stored in api_usage.',
    registers: [this.registry],
  });
  // Drops and the buffer size are kept as plain numbers and read at scrape time:
  // a drop happens on the request path, where a labelled inc would cost microseconds.
  private readonly dropped = { buffer_full: 0, rejected: 0, shutdown: 0 };
  private bufferedRecords = 0;
  private readonly usageRetries = new Counter({
    name: 'lab_gateway_api_usage_send_retries_total',
    help: 'Failed sends of an API usage batch to the metrics subgraph (each is retried with backoff).',
    registers: [this.registry],
  });

  constructor(options: { maxOperationNames?: number; processMetrics?: boolean } = {}) {
    this.names = new BoundedLabel(options.maxOperationNames ?? MAX_OPERATION_NAMES);
    if (options.processMetrics ?? true) collectDefaultMetrics({ register: this.registry });
    this.operationSeries.counter({
      name: 'lab_gateway_operations_total',
      help: 'GraphQL operations answered over HTTP, by operation name and type.',
      labelNames: ['operation', 'type'] as const,
      registers: [this.registry],
    });
    this.subgraphSeries.counter({
      name: 'lab_gateway_subgraph_requests_total',
      help: 'Fetches from the gateway to a subgraph (query plan steps).',
      labelNames: ['subgraph'] as const,
      registers: [this.registry],
    });
    for (const kind of ['authenticate', 'revalidate']) this.apiKeyLookups.inc({ kind }, 0);
    const { dropped } = this;
    const buffered = () => this.bufferedRecords;
    new Counter({
      name: 'lab_gateway_api_usage_records_dropped_total',
      help: 'API usage records dropped: buffer_full (the metrics subgraph was down or slow too long), rejected (refused as invalid), shutdown (unsent at exit).',
      labelNames: ['reason'] as const,
      registers: [this.registry],
      collect() {
        this.reset();
        for (const [reason, n] of Object.entries(dropped)) this.inc({ reason }, n);
      },
    });
    new Gauge({
      name: 'lab_gateway_api_usage_records_buffered',
      help: 'API usage records waiting to be sent, the batch in flight included.',
      registers: [this.registry],
      collect() {
        this.set(buffered());
      },
    });
  }

  /** The operation label of a name: the name, "anonymous", or "other" past the cap. */
  operationLabel(name: string | undefined): string {
    return name ? this.names.of(name) : ANONYMOUS;
  }

  observeOperation(o: OperationObservation): void {
    const operation = this.operationLabel(o.operationName);
    const type = o.operationType && OPERATION_TYPES.has(o.operationType) ? o.operationType : 'unknown';
    const series = this.operationSeries.of(`${type}\n${operation}`, () => ({ operation, type }));
    series.count++;
    this.operationDuration.observe(series.labels, o.seconds);
    if (o.errorCodes.length === 0) return;
    for (const code of new Set(o.errorCodes.map(codeLabel))) this.operationErrors.inc({ operation, type, code });
  }

  /** One fetch to a subgraph; `errorCode` when it failed or its answer carried errors. */
  observeSubgraphFetch(subgraph: string, seconds: number, errorCode?: string): void {
    const series = this.subgraphSeries.of(subgraph, () => ({ subgraph }));
    series.count++;
    this.subgraphDuration.observe(series.labels, seconds);
    if (errorCode !== undefined) this.subgraphErrors.inc({ subgraph, code: codeLabel(errorCode) });
  }

  /** A subscription started; returns what to call when it ends (once; later calls do nothing). */
  subscriptionStarted(): () => void {
    this.activeSubscriptions.inc();
    let open = true;
    return () => {
      if (!open) return;
      open = false;
      this.activeSubscriptions.dec();
    };
  }

  rateLimited(): void {
    this.rateLimitedRequests.inc();
  }

  apiKeyLookup(kind: 'authenticate' | 'revalidate'): void {
    this.apiKeyLookups.inc({ kind });
  }

  apiUsageSent(records: number): void {
    this.usageSent.inc(records);
  }

  apiUsageDropped(records: number, reason: 'buffer_full' | 'rejected' | 'shutdown'): void {
    this.dropped[reason] += records;
  }

  apiUsageRetried(): void {
    this.usageRetries.inc();
  }

  apiUsageBuffered(records: number): void {
    this.bufferedRecords = records;
  }

  /** The Prometheus text exposition. */
  text(): Promise<string> {
    return this.registry.metrics();
  }

  get contentType(): string {
    return this.registry.contentType;
  }
}

/** The process's metrics: what GET /metrics serves and what the helpers below update. */
export const gatewayMetrics = new GatewayMetrics();

/**
 * For the subscription code: call when a client subscription starts; call the
 * returned function when it ends (completed, errored or the client went away).
 */
export function trackSubscription(): () => void {
  return gatewayMetrics.subscriptionStarted();
}

/** For the rate limiter: call once per request it refuses. */
export function countRateLimited(): void {
  gatewayMetrics.rateLimited();
}

/** For the API key cache: call once per registry call. */
export function countApiKeyLookup(kind: 'authenticate' | 'revalidate'): void {
  gatewayMetrics.apiKeyLookup(kind);
}

/** The error code of a failed subgraph fetch: the one the data source threw, INTERNAL otherwise. */
function thrownCode(err: unknown): string {
  const code = (err as { extensions?: { code?: unknown } } | undefined)?.extensions?.code;
  return typeof code === 'string' ? code : 'INTERNAL';
}

/**
 * Times one fetch to a subgraph and counts it, with the first error code of a
 * failure or of an answer carrying errors. The data source wraps its process() in it.
 */
export async function observeSubgraphFetch<T extends { errors?: readonly { extensions?: Record<string, unknown> }[] }>(
  subgraph: string,
  fetch: () => Promise<T>,
  metrics: GatewayMetrics = gatewayMetrics,
): Promise<T> {
  const started = performance.now();
  try {
    const response = await fetch();
    const code = response.errors?.[0] ? String(response.errors[0].extensions?.code ?? 'INTERNAL') : undefined;
    metrics.observeSubgraphFetch(subgraph, (performance.now() - started) / 1000, code);
    return response;
  } catch (err) {
    metrics.observeSubgraphFetch(subgraph, (performance.now() - started) / 1000, thrownCode(err));
    throw err;
  }
}
