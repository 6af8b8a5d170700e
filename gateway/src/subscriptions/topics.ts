/**
 * Federated subscriptions, executed: each subscription is a topic keyed by
 * (caller, document, operation name, variables). Identical subscriptions of
 * one caller share the topic: one upstream subscription to the owning
 * subgraph, one completion of each event (the plan's `rest`: entity fetches
 * to other subgraphs, batched per event by the gateway's executor), and the
 * finished result fanned out to every client. The last client leaving ends
 * the upstream subscription.
 *
 * An event is completed by running the plan `Sequence[primary, rest]` with
 * @apollo/gateway's executeQueryPlan, where the primary fetch is answered by
 * the event itself: the gateway's own result shaping, error paths and entity
 * batching apply unchanged. Events are completed up to COMPLETION_WINDOW at a
 * time and delivered in order.
 *
 * Bounds: at most MAX_BACKLOG events waiting for completion per topic and
 * MAX_QUEUED results per client; beyond them the oldest are dropped and the
 * next result delivered carries `extensions.droppedEvents`. When the
 * upstream is interrupted (the subgraph restarts) every client gets a result
 * with a SERVICE_UNAVAILABLE error naming the subgraph and
 * `extensions.eventsMayBeLost: true`; the topic resubscribes by itself.
 */
import { executeQueryPlan, type GraphQLDataSource, type ServiceMap } from '@apollo/gateway';
import type { PlanNode, QueryPlan } from '@apollo/query-planner';
import type { GatewayGraphQLRequestContext } from '@apollo/server-gateway-interface';
import { type Caller, type Logger, maskError, type SubgraphName } from '@lab/shared';
import { type DocumentNode, type FormattedExecutionResult, GraphQLError, type GraphQLFormattedError } from 'graphql';
import type { SubscriptionPlan, SubscriptionPlanner } from './planner';
import type { UpstreamSubscriptions } from './upstream';

export const COMPLETION_WINDOW = 16;
export const MAX_BACKLOG = 1_000;
export const MAX_QUEUED = 1_000;

export interface TopicRequest {
  document: DocumentNode;
  query: string;
  operationName: string | undefined;
  variables: Record<string, unknown>;
  caller: Caller;
  requestId: string;
  log: Logger;
}

type Result = FormattedExecutionResult<Record<string, unknown>, Record<string, unknown>>;

/** The result, carrying `extensions.droppedEvents` when events were dropped before it. */
function withDropped(result: Result, dropped: number): Result {
  return dropped > 0 ? { ...result, extensions: { ...result.extensions, droppedEvents: dropped } } : result;
}

/** One client's view of a topic: a bounded queue drained by graphql-ws. */
class ClientStream implements AsyncIterableIterator<Result> {
  private queue: Result[] = [];
  private dropped = 0;
  private waiting: ((r: IteratorResult<Result>) => void) | undefined;
  private ended = false;

  private readonly onEnded: (() => void)[] = [];

  constructor(private readonly leave: (c: ClientStream) => void) {}

  /** Runs `f` once when the client leaves. */
  onEnd(f: () => void): void {
    if (this.ended) f();
    else this.onEnded.push(f);
  }

  push(result: Result): void {
    if (this.ended) return;
    if (this.waiting) {
      const out = withDropped(result, this.dropped);
      this.dropped = 0;
      const resolve = this.waiting;
      this.waiting = undefined;
      resolve({ value: out, done: false });
      return;
    }
    this.queue.push(result);
    if (this.queue.length > MAX_QUEUED) {
      this.queue.shift();
      this.dropped++;
    }
  }

  end(): void {
    if (this.ended) return;
    this.ended = true;
    this.leave(this);
    for (const f of this.onEnded.splice(0)) f();
    const resolve = this.waiting;
    this.waiting = undefined;
    resolve?.({ value: undefined, done: true });
  }

  next(): Promise<IteratorResult<Result>> {
    const result = this.queue.shift();
    if (result) {
      const out = withDropped(result, this.dropped);
      this.dropped = 0;
      return Promise.resolve({ value: out, done: false });
    }
    if (this.ended) return Promise.resolve({ value: undefined, done: true });
    return new Promise((resolve) => {
      this.waiting = resolve;
    });
  }

  return(): Promise<IteratorResult<Result>> {
    this.queue = [];
    this.end();
    return Promise.resolve({ value: undefined, done: true });
  }

  [Symbol.asyncIterator](): this {
    return this;
  }
}

class Topic {
  readonly clients = new Set<ClientStream>();
  private readonly stopUpstream: () => void;
  /** Events being completed, in arrival order. */
  private inFlight: Promise<Result>[] = [];
  private backlog: Record<string, unknown>[] = [];
  private droppedBacklog = 0;
  private draining: Promise<void> | undefined;
  private finished = false;

  constructor(
    private readonly request: TopicRequest,
    plan: SubscriptionPlan,
    private readonly complete: (event: Result) => Promise<Result>,
    upstream: UpstreamSubscriptions,
    private readonly onEmpty: () => void,
  ) {
    const { primary } = plan;
    const service = primary.serviceName as SubgraphName;
    const variables = Object.fromEntries(
      (primary.variableUsages ?? []).filter((v) => v in request.variables).map((v) => [v, request.variables[v]]),
    );
    this.stopUpstream = upstream.subscribe(
      {
        service,
        query: primary.operation,
        operationName: primary.operationName,
        variables,
        caller: request.caller,
        requestId: request.requestId,
      },
      {
        next: (event) => this.onEvent(event as Result),
        error: (errors) =>
          this.finish({ errors: errors.map((e) => this.mask({ ...e, extensions: { ...e.extensions, service } })) }),
        complete: () => this.finish(undefined),
        onInterrupted: (reason) => {
          request.log.warn({ service, reason }, 'subscription interrupted');
          this.broadcast({
            errors: [
              {
                message: `Subgraph ${service} is unavailable; events may have been lost until it is back (the subscription resumes by itself)`,
                extensions: { code: 'SERVICE_UNAVAILABLE', service, eventsMayBeLost: true },
              },
            ],
          });
        },
        onResumed: () => request.log.info({ service }, 'subscription resumed'),
      },
    );
  }

  join(): ClientStream {
    const client = new ClientStream((c) => this.leave(c));
    this.clients.add(client);
    return client;
  }

  private leave(client: ClientStream): void {
    this.clients.delete(client);
    if (this.clients.size === 0 && !this.finished) {
      this.finished = true;
      this.stopUpstream();
      this.onEmpty();
    }
  }

  private onEvent(event: Result): void {
    if (this.finished) return;
    this.backlog.push(event as Record<string, unknown>);
    if (this.backlog.length > MAX_BACKLOG) {
      this.backlog.shift();
      this.droppedBacklog++;
    }
    void this.drain();
  }

  /** Completes events COMPLETION_WINDOW at a time and delivers them in order. */
  private drain(): Promise<void> {
    this.draining ??= this.run().finally(() => {
      this.draining = undefined;
    });
    return this.draining;
  }

  private async run(): Promise<void> {
    while (this.clients.size > 0 && (this.backlog.length > 0 || this.inFlight.length > 0)) {
      while (this.inFlight.length < COMPLETION_WINDOW && this.backlog.length > 0) {
        this.inFlight.push(this.complete(this.backlog.shift() as Result));
      }
      const result = await (this.inFlight[0] as Promise<Result>);
      this.inFlight.shift();
      this.broadcast(withDropped(result, this.droppedBacklog));
      this.droppedBacklog = 0;
    }
  }

  private broadcast(result: Result): void {
    for (const client of this.clients) client.push(result);
  }

  /** The upstream ended: events already received are delivered, then `last` (errors), then every client ends. */
  private finish(last: Result | undefined): void {
    if (this.finished) return;
    this.finished = true;
    this.stopUpstream();
    this.onEmpty();
    void this.drain().then(() => {
      for (const client of [...this.clients]) {
        if (last) client.push(last);
        client.end();
      }
    });
  }

  mask(error: GraphQLFormattedError): GraphQLFormattedError {
    return maskError(error, this.request.requestId, () => this.request.log.error({ error }, 'internal error in a subscription'));
  }
}

/** A GraphQLError, or an error the executor already formatted. */
function formatted(error: GraphQLError | GraphQLFormattedError): GraphQLFormattedError {
  return error instanceof GraphQLError ? error.toJSON() : error;
}

export interface TopicsOptions {
  planner: SubscriptionPlanner;
  upstream: UpstreamSubscriptions;
  /** Data sources of the subgraphs, for the fetches that complete each event. */
  services: ServiceMap;
  /** Called when a client joins a topic; the function it returns when the client leaves (e.g. a gauge). */
  onClient?: () => () => void;
}

export class SubscriptionTopics {
  private readonly topics = new Map<string, Topic>();

  constructor(private readonly options: TopicsOptions) {}

  /** Topics open now (upstream subscriptions shared by their clients). */
  get size(): number {
    return this.topics.size;
  }

  /** Clients subscribed now. */
  get clients(): number {
    let n = 0;
    for (const topic of this.topics.values()) n += topic.clients.size;
    return n;
  }

  subscribe(request: TopicRequest): AsyncIterableIterator<Result> {
    const key = JSON.stringify([request.caller.id, request.operationName ?? null, request.query, request.variables]);
    let topic = this.topics.get(key);
    if (!topic) {
      const plan = this.options.planner.plan(request.document, request.query, request.operationName);
      const created: Topic = new Topic(
        request,
        plan,
        (event) => this.completeEvent(request, plan, event, created),
        this.options.upstream,
        () => {
          if (this.topics.get(key) === created) this.topics.delete(key);
        },
      );
      topic = created;
      this.topics.set(key, topic);
    }
    const client = topic.join();
    const left = this.options.onClient?.();
    if (left) client.onEnd(left);
    return client;
  }

  /** Runs `Sequence[primary, rest]` with the primary fetch answered by the event. */
  private async completeEvent(request: TopicRequest, plan: SubscriptionPlan, event: Result, topic: Topic): Promise<Result> {
    const { primary, rest, operationContext } = plan;
    const eventSource: GraphQLDataSource = {
      process: async () => ({ data: event.data ?? null, ...(event.errors ? { errors: event.errors } : {}) }),
    } as unknown as GraphQLDataSource;
    const serviceMap: ServiceMap = { ...this.options.services, [primary.serviceName]: eventSource };
    const node: PlanNode = rest ? { kind: 'Sequence', nodes: [primary, rest] } : primary;
    const queryPlan: QueryPlan = { kind: 'QueryPlan', node };
    const requestContext = {
      request: { query: request.query, variables: request.variables, operationName: request.operationName },
      document: request.document,
      operationName: request.operationName ?? null,
      context: { requestId: request.requestId, caller: request.caller, log: request.log },
      logger: request.log,
      metrics: {},
      cache: undefined,
      overallCachePolicy: undefined,
    } as unknown as GatewayGraphQLRequestContext;
    try {
      const result = await executeQueryPlan(
        queryPlan,
        serviceMap,
        requestContext,
        operationContext,
        this.options.planner.supergraphSchema,
        this.options.planner.apiSchema,
      );
      return {
        data: (result.data ?? null) as Record<string, unknown> | null,
        ...(result.errors?.length ? { errors: result.errors.map((e) => topic.mask(formatted(e))) } : {}),
      };
    } catch (err) {
      request.log.error({ err }, 'completing a subscription event failed');
      return { data: null, errors: [topic.mask({ message: String(err) })] };
    }
  }
}
