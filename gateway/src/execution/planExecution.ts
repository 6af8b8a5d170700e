/**
 * Queries and mutations executed from their query plan by the gateway itself:
 * the plan comes from @apollo/query-planner, as in Apollo Gateway, and is
 * walked with the same rules (fetches in sequence and in parallel, entity
 * representations from what earlier fetches returned, answers merged in
 * place, a subgraph's errors given the path of the field they belong to);
 * the answer is then cut by the operation's compiled shaping
 * (resultShaping.ts). Per request it skips what Apollo's executor does every
 * time: building the operation over the schema again, OpenTelemetry spans
 * nobody records, usage-report trace nodes.
 *
 * A plan or an operation this does not handle (@defer, entity rewrites of
 * interface objects, introspection) is left to Apollo's executor, decided
 * once per operation.
 */
import { ERRORS, errorCodeDef } from '@apollo/federation-internals';
import type { GraphQLDataSource, GraphQLDataSourceProcessOptions } from '@apollo/gateway';
import type { FetchNode, PlanNode, QueryPlanSelectionNode, ResponsePath } from '@apollo/query-planner';
import type {
  GatewayExecutionResult,
  GatewayExecutor,
  GatewayGraphQLRequestContext,
  GatewayInterface,
} from '@apollo/server-gateway-interface';
import {
  type FragmentDefinitionNode,
  GraphQLError,
  type GraphQLSchema,
  getVariableValues,
  isAbstractType,
  isInterfaceType,
  isObjectType,
  Kind,
  type OperationDefinitionNode,
} from 'graphql';
import { LRUCache } from 'lru-cache';
import type { GatewayContext } from '../context';
import { compileShaping, conditionDefaults, type Shaping } from './resultShaping';
import type { SupergraphPlanning } from './supergraphPlanning';

type Data = Record<string, unknown>;

/** The kind of a data source request made for a client's operation (@apollo/gateway exports its enum only as a type). */
const INCOMING_OPERATION = 'incoming operation' as GraphQLDataSourceProcessOptions<GatewayContext>['kind'] & 'incoming operation';

/** What is kept per operation: its plan and shaping, or that Apollo's executor runs it. */
type Prepared =
  | { own: false }
  | {
      own: true;
      plan: PlanNode | undefined;
      shaping: Shaping;
      operation: OperationDefinitionNode;
      /** What a plan's conditions read when the request gives no value. */
      conditionDefaults: Record<string, boolean | null>;
    };

interface Cursor {
  path: ResponsePath;
  data: unknown;
  fullResult: Data;
}

interface Execution {
  requestContext: GatewayGraphQLRequestContext<GatewayContext>;
  conditionDefaults: Record<string, boolean | null>;
  services: Record<string, GraphQLDataSource<GatewayContext>>;
  errors: unknown[];
}

export interface PlanExecutionOptions {
  /** The supergraph's schemas and planner (shared with the subscription planner). */
  planning: SupergraphPlanning;
  /** The data source of each subgraph. */
  services: Record<string, GraphQLDataSource<GatewayContext>>;
  /** Operations kept prepared. Default 2,000. */
  maxOperations?: number;
}

export class PlanExecution {
  private readonly prepared: LRUCache<string, Prepared>;
  /** Requests executed here, and those left to Apollo's executor (since start). */
  readonly executed = { here: 0, byApollo: 0 };

  constructor(private readonly options: PlanExecutionOptions) {
    this.prepared = new LRUCache({ max: options.maxOperations ?? 2_000 });
  }

  /** A gateway whose executor is this one, falling back to the given gateway's for what this leaves to it. */
  around(gateway: GatewayInterface): GatewayInterface {
    return {
      onSchemaLoadOrUpdate: (callback) => gateway.onSchemaLoadOrUpdate(callback),
      stop: () => gateway.stop(),
      load: async (options) => {
        const loaded = await gateway.load(options);
        const fallback = loaded.executor;
        if (!fallback) return loaded;
        const executor: GatewayExecutor = (requestContext) =>
          this.execute(requestContext as GatewayGraphQLRequestContext<GatewayContext>, fallback);
        return { ...loaded, executor };
      },
    };
  }

  async execute(
    requestContext: GatewayGraphQLRequestContext<GatewayContext>,
    fallback: GatewayExecutor,
  ): Promise<GatewayExecutionResult> {
    let prepared: Prepared;
    try {
      prepared = this.prepare(requestContext);
    } catch {
      // An operation the planner refuses: Apollo's executor answers it with its own errors.
      prepared = { own: false };
    }
    if (!prepared.own) {
      this.executed.byApollo++;
      return fallback(requestContext);
    }
    this.executed.here++;
    const variables = requestContext.request.variables ?? undefined;
    if (prepared.operation.variableDefinitions?.length) {
      const { errors } = getVariableValues(this.options.planning.schema, prepared.operation.variableDefinitions, variables ?? {});
      if (errors) return { errors };
    }
    const execution: Execution = {
      requestContext,
      conditionDefaults: prepared.conditionDefaults,
      services: this.options.services,
      errors: [],
    };
    const data: Data = {};
    if (prepared.plan)
      await executeNode(execution, this.options.planning.supergraphSchema, prepared.plan, { path: [], data, fullResult: data });
    let shaped: ReturnType<Shaping['shape']>;
    try {
      shaped = prepared.shaping.shape(data, variables);
    } catch (err) {
      const error = err instanceof Error ? err : new Error(String(err));
      return { errors: [error instanceof GraphQLError ? error : new GraphQLError(error.message, { originalError: error })] };
    }
    const { errors } = execution;
    if (errors.length === 0 && shaped.errors.length > 0) {
      return { extensions: { valueCompletion: shaped.errors }, data: shaped.data };
    }
    return errors.length === 0
      ? { data: shaped.data }
      : { errors: errors as GatewayExecutionResult['errors'], data: shaped.data };
  }

  /** The operation's plan and shaping, made on its first request. */
  private prepare(requestContext: GatewayGraphQLRequestContext<GatewayContext>): Prepared {
    const { document, queryHash, request } = requestContext;
    const operationName = request.operationName ?? undefined;
    const key = `${operationName ?? ''}\n${queryHash}`;
    let prepared = this.prepared.get(key);
    if (prepared) return prepared;
    prepared = { own: false };
    const fragments = new Map<string, FragmentDefinitionNode>();
    let operation: OperationDefinitionNode | undefined;
    for (const definition of document?.definitions ?? []) {
      if (definition.kind === Kind.FRAGMENT_DEFINITION) fragments.set(definition.name.value, definition);
      else if (definition.kind === Kind.OPERATION_DEFINITION && (!operationName || definition.name?.value === operationName)) {
        operation ??= definition;
      }
    }
    if (document && operation && operation.operation !== 'subscription') {
      const shaping = compileShaping(this.options.planning.schema, operation, fragments);
      if (shaping) {
        const plan = this.options.planning.plan(document, operationName).node;
        if (plan === undefined || ownPlan(plan)) {
          prepared = {
            own: true,
            plan: plan as PlanNode | undefined,
            shaping,
            operation,
            conditionDefaults: conditionDefaults(operation),
          };
        }
      }
    }
    this.prepared.set(key, prepared);
    return prepared;
  }
}

/** Whether a plan holds only what executeNode runs: sequences, parallels, conditions, flattens over field paths, plain fetches. */
function ownPlan(node: PlanNode | { kind: string }): boolean {
  switch (node.kind) {
    case 'Sequence':
    case 'Parallel':
      return (node as { nodes: PlanNode[] }).nodes.every(ownPlan);
    case 'Flatten': {
      const flatten = node as { path: ResponsePath; node: PlanNode };
      return flatten.path.every((p) => typeof p === 'string') && ownPlan(flatten.node);
    }
    case 'Condition': {
      const condition = node as { ifClause?: PlanNode; elseClause?: PlanNode };
      return [condition.ifClause, condition.elseClause].every((clause) => clause === undefined || ownPlan(clause));
    }
    case 'Fetch': {
      const fetch = node as FetchNode;
      return !fetch.inputRewrites?.length && !fetch.outputRewrites?.length && !fetch.contextRewrites?.length;
    }
    default:
      return false;
  }
}

async function executeNode(
  execution: Execution,
  schema: GraphQLSchema,
  node: PlanNode,
  cursor: Cursor | undefined,
): Promise<void> {
  if (!cursor) return;
  switch (node.kind) {
    case 'Sequence':
      for (const child of node.nodes) await executeNode(execution, schema, child, cursor);
      return;
    case 'Parallel':
      await Promise.all(node.nodes.map((child) => executeNode(execution, schema, child, cursor)));
      return;
    case 'Flatten':
      return executeNode(execution, schema, node.node, moveIntoCursor(cursor, node.path));
    case 'Condition': {
      const clause = holds(execution, node.condition) ? node.ifClause : node.elseClause;
      if (clause) await executeNode(execution, schema, clause, cursor);
      return;
    }
    case 'Fetch':
      try {
        await executeFetch(execution, schema, node, cursor);
      } catch (err) {
        execution.errors.push(err);
      }
      return;
    default:
      throw new Error(`unexpected ${node.kind} node in a query plan`);
  }
}

/** The value of a condition's Boolean! variable, as given or by its default. */
function holds(execution: Execution, variable: string): boolean {
  const given = execution.requestContext.request.variables;
  let value = given && Object.hasOwn(given, variable) ? given[variable] : undefined;
  if (value === undefined) value = execution.conditionDefaults[variable];
  if (value === undefined) throw new Error(`Missing value for variable $${variable} (and no default found)`);
  if (typeof value !== 'boolean') throw new Error(`Invalid non-boolean value ${value} for Boolean! variable $${variable}`);
  return value;
}

/** One fetch: the root fields, or the entities at the cursor by their representations; the answer merged into the data. */
async function executeFetch(execution: Execution, schema: GraphQLSchema, fetch: FetchNode, cursor: Cursor): Promise<void> {
  const service = execution.services[fetch.serviceName];
  if (!service) throw new Error(`Couldn't find service with name "${fetch.serviceName}"`);
  const entities = (
    Array.isArray(cursor.data) ? cursor.data.filter((e) => e !== null && e !== undefined) : [cursor.data]
  ) as Data[];
  if (entities.length < 1) return;
  const variables: Data = Object.create(null);
  const provided = execution.requestContext.request.variables;
  for (const name of fetch.variableUsages ?? []) {
    if (provided && Object.hasOwn(provided, name) && provided[name] !== undefined) variables[name] = provided[name];
  }
  if (!fetch.requires) {
    const received = await send(execution, fetch, cursor, variables);
    for (const entity of entities) deepMerge(entity, received);
    return;
  }
  const representations: Data[] = [];
  const representationToEntity: number[] = [];
  entities.forEach((entity, index) => {
    const representation = represent(schema, entity, fetch.requires as QueryPlanSelectionNode[]);
    if (representation?.__typename) {
      representations.push(representation);
      representationToEntity.push(index);
    }
  });
  if (representations.length < 1) return;
  if ('representations' in variables) throw new Error(`Variables cannot contain key "representations"`);
  const received = (await send(execution, fetch, cursor, { ...variables, representations })) as Data | null | undefined;
  if (!received) return;
  const receivedEntities = received._entities;
  if (!Array.isArray(receivedEntities)) throw new Error(`Expected "data._entities" in response to be an array`);
  if (receivedEntities.length !== representations.length) {
    throw new Error(`Expected "data._entities" to contain ${representations.length} elements`);
  }
  for (let i = 0; i < representations.length; i++) {
    const receivedEntity = receivedEntities[i] as Data | null;
    const existing = entities[representationToEntity[i] as number] as Data;
    if (receivedEntity && !receivedEntity.__typename) receivedEntity.__typename = existing.__typename;
    deepMerge(existing, receivedEntity);
  }
}

/** Sends a fetch's operation to its subgraph; the subgraph's errors get the paths of the client's answer. */
async function send(execution: Execution, fetch: FetchNode, cursor: Cursor, variables: Data): Promise<unknown> {
  const { requestContext } = execution;
  const service = execution.services[fetch.serviceName] as GraphQLDataSource<GatewayContext>;
  const response = await service.process({
    kind: INCOMING_OPERATION,
    request: { query: fetch.operation, variables, operationName: fetch.operationName },
    incomingRequestContext: requestContext,
    context: requestContext.context,
    document: fetch.operationDocumentNode,
    pathInIncomingRequest: cursor.path,
  });
  if (response.errors) {
    const pathOf = errorPaths(fetch, cursor);
    for (const error of response.errors) execution.errors.push(downstreamError(error as GraphQLError, fetch.serviceName, pathOf));
  }
  return response.data;
}

/** A subgraph's error as the client sees it: its path in the client's answer, the subgraph's name in its extensions. */
function downstreamError(
  error: GraphQLError,
  serviceName: string,
  pathOf: (path: readonly (string | number)[] | undefined) => (string | number)[] | undefined,
): GraphQLError {
  const message = error.message || `Error while fetching subquery from service "${serviceName}"`;
  const options = {
    originalError: error,
    path: pathOf(error.path),
    extensions: { ...error.extensions, serviceName },
  };
  const codeDef = errorCodeDef(error);
  if (!codeDef && error.extensions?.code) return new GraphQLError(message, options);
  return (codeDef ?? ERRORS.DOWNSTREAM_SERVICE_ERROR).err(message, options);
}

/** Maps a path in a fetch's answer to the client's answer (`_entities.i` to where entity i sits). */
function errorPaths(fetch: FetchNode, cursor: Cursor) {
  let entityPaths: (string | number)[][] | undefined;
  return (path: readonly (string | number)[] | undefined): (string | number)[] | undefined => {
    if (fetch.requires && typeof path?.[1] === 'number') {
      if (!entityPaths) {
        entityPaths = [];
        pathsAt([], cursor.path, cursor.fullResult, entityPaths);
      }
      return [...(entityPaths[path[1]] ?? []), ...path.slice(2)];
    }
    return path ? [...cursor.path, ...path] : undefined;
  };
}

/** The concrete paths (list indexes filled in) of every value at a plan path. */
function pathsAt(parent: (string | number)[], path: ResponsePath, data: unknown, result: (string | number)[][]): void {
  if (data === null || data === undefined) return;
  const [head, ...rest] = path;
  if (head === undefined) {
    result.push([...parent]);
  } else if (head === '@') {
    (data as unknown[]).forEach((value, i) => {
      parent.push(i);
      pathsAt(parent, rest, value, result);
      parent.pop();
    });
  } else if (Array.isArray(data)) {
    data.forEach((value, i) => {
      parent.push(i);
      pathsAt(parent, path, value, result);
      parent.pop();
    });
  } else if (Object.hasOwn(data as object, head as string)) {
    parent.push(head);
    pathsAt(parent, rest, (data as Data)[head as string], result);
    parent.pop();
  }
}

function moveIntoCursor(cursor: Cursor, path: ResponsePath): Cursor | undefined {
  const data = valuesAt(cursor.data, path);
  return data ? { path: cursor.path.concat(path), data, fullResult: cursor.fullResult } : undefined;
}

/** The values at a plan path, lists (`@`) flattened. */
function valuesAt(value: unknown, path: ResponsePath, from = 0): unknown {
  if (from === path.length || value === undefined || value === null) return value;
  const current = path[from];
  if (current === '@') return (value as unknown[]).flatMap((element) => valuesAt(element, path, from + 1));
  if (Array.isArray(value)) throw new Error(`Unexpected array in result for path element ${current}`);
  const object = value as Data;
  return valuesAt(Object.hasOwn(object, current as string) ? object[current as string] : undefined, path, from + 1);
}

/** An entity's representation: what the fetch requires of it, or null when a required field is missing. */
function represent(schema: GraphQLSchema, source: Data | null, selections: readonly QueryPlanSelectionNode[]): Data | null {
  if (source === null) return null;
  const result: Data = Object.create(null);
  for (const selection of selections) {
    if (selection.kind === 'Field') {
      const responseName = selection.alias ?? selection.name;
      const value = Object.hasOwn(source, responseName) ? source[responseName] : undefined;
      if (value === undefined) return null;
      const inner = selection.selections;
      if (Array.isArray(value)) result[responseName] = value.map((v) => (inner ? represent(schema, v as Data | null, inner) : v));
      else result[responseName] = inner ? represent(schema, value as Data | null, inner) : value;
    } else if (selection.typeCondition && isObjectOfType(schema, source, selection.typeCondition)) {
      deepMerge(result, represent(schema, source, selection.selections));
    }
  }
  return result;
}

/** Whether an object (by its __typename) is of a type condition, abstract ones included. */
function isObjectOfType(schema: GraphQLSchema, object: Data, typeCondition: string): boolean {
  const typename = object.__typename;
  if (!typename || typeof typename !== 'string') return false;
  if (typename === typeCondition) return true;
  const type = schema.getType(typename);
  const condition = schema.getType(typeCondition);
  if (!type || !condition || !isAbstractType(condition)) return false;
  return (isObjectType(type) || isInterfaceType(type)) && schema.isSubType(condition, type);
}

/** Merges `source` into `target` in place: objects key by key, lists of the same length item by item. */
function deepMerge(target: Data, source: unknown): Data {
  if (source === undefined || source === null) return target;
  const from = source as Data;
  for (const key of Object.keys(from)) {
    const value = from[key];
    if (value === undefined) continue;
    if (!Object.hasOwn(target, key) && key in target) {
      Object.defineProperty(target, key, { configurable: true, enumerable: true, value: undefined, writable: true });
    }
    const existing = target[key];
    if (existing && isObject(value)) {
      deepMerge(existing as Data, value);
    } else if (Array.isArray(value) && Array.isArray(existing) && value.length === existing.length) {
      for (let i = 0; i < value.length; i++) {
        if (isObject(existing[i]) && isObject(value[i])) deepMerge(existing[i] as Data, value[i]);
        else existing[i] = value[i];
      }
    } else {
      target[key] = value;
    }
  }
  return target;
}

const isObject = (value: unknown): value is Data => typeof value === 'object' && value !== null && !Array.isArray(value);
