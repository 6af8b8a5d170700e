/**
 * Operation limits, checked before any subgraph is called: lexer tokens
 * (counted while parsing, so a huge document is refused without building its
 * AST), then depth, aliases and an estimated cost of the resolved operation.
 * A refused operation answers 400 BAD_USER_INPUT naming the limit:
 * `{ message: "depth 14 exceeds the limit of 12", extensions: { code, limit: "depth", actual: 14, max: 12 } }`.
 *
 * Cost follows the static estimate of Apollo Router's demand control: a field
 * returning an object, interface or union costs 1, a scalar or enum 0, a root
 * mutation field 10; a list multiplies its items' cost by its size. The size
 * is the field's `first`, `last` or `limit` argument (literal, variable or
 * schema default); a Relay connection's size (`runs(first: 50)`) applies to
 * its `edges` and `nodes` lists; any other list counts `defaultListSize` items.
 *
 * Introspection (`__schema`, `__type`) adds no depth or cost: it runs in the
 * gateway, not in a subgraph, and graphql-js' own MaxIntrospectionDepthRule
 * (a specified validation rule) already stops recursive introspection. So
 * GraphiQL's schema query passes whatever the limits.
 */
import type { ApolloServerPlugin } from '@apollo/server';
import { labHttpError } from '@lab/shared';
import {
  type DocumentNode,
  type FieldNode,
  type FragmentDefinitionNode,
  type GraphQLError,
  type GraphQLField,
  type GraphQLNamedType,
  type GraphQLSchema,
  getNamedType,
  getNullableType,
  isCompositeType,
  isInterfaceType,
  isListType,
  isObjectType,
  Kind,
  Lexer,
  type OperationDefinitionNode,
  type SelectionSetNode,
  Source,
  TokenKind,
  type ValueNode,
} from 'graphql';

export interface OperationLimitsOptions {
  /** Deepest nesting of fields (`{ a { b } }` is 2). Default 12; 0 turns the check off. */
  maxDepth?: number;
  /** Most aliased fields, counting a fragment once per use. Default 30; 0 turns the check off. */
  maxAliases?: number;
  /** Most lexer tokens in the document (comments excluded), counted before parsing. Default 5,000; 0 turns the check off. */
  maxTokens?: number;
  /** Highest estimated cost (see above). Default 50,000; 0 turns the check off. */
  maxCost?: number;
  /** Items assumed for a list no argument sizes. Default 20, the registry's default page size. */
  defaultListSize?: number;
  /** Arguments that give a list's (or a connection's) size. Default `first`, `last`, `limit`. */
  sizeArguments?: readonly string[];
  /** Cost of each root mutation field. Default 10. */
  mutationCost?: number;
}

export const OPERATION_LIMIT_DEFAULTS = {
  maxDepth: 12,
  maxAliases: 30,
  maxTokens: 5_000,
  maxCost: 50_000,
  defaultListSize: 20,
  sizeArguments: ['first', 'last', 'limit'],
  mutationCost: 10,
} as const satisfies Required<OperationLimitsOptions>;

export type LimitName = 'tokens' | 'depth' | 'aliases' | 'cost';

export interface OperationMeasure {
  depth: number;
  aliases: number;
  cost: number;
}

/** The BAD_USER_INPUT (HTTP 400) error for one exceeded limit. */
export function limitError(limit: LimitName, actual: number, max: number): GraphQLError {
  const shown = (n: number) => (Number.isFinite(n) ? Math.round(n).toLocaleString('en-US') : 'more than can be counted');
  return labHttpError('BAD_USER_INPUT', `${limit} ${shown(actual)} exceeds the limit of ${shown(max)}`, {
    limit,
    actual: Number.isFinite(actual) ? actual : Number.MAX_SAFE_INTEGER,
    max,
  });
}

/**
 * Lexer tokens of a GraphQL document, without parsing it. A source no longer
 * than `cheapBelow` characters is not lexed (a token is at least one
 * character) and answers its length; a source that does not lex stops the
 * count where it breaks (the parser reports the syntax error).
 */
export function countTokens(source: string, cheapBelow = 0): number {
  if (source.length <= cheapBelow) return source.length;
  const lexer = new Lexer(new Source(source));
  let count = 0;
  try {
    while (lexer.advance().kind !== TokenKind.EOF) count++;
  } catch {
    // A syntax error: what was lexed so far is counted.
  }
  return count;
}

interface Measured {
  depth: number;
  aliases: number;
  cost: number;
}

/** Depth, aliases and estimated cost of one operation (fragments expanded, each fragment measured once). */
export function measureOperation(
  schema: GraphQLSchema,
  document: DocumentNode,
  operation: OperationDefinitionNode,
  variables: Record<string, unknown> | undefined = {},
  options: OperationLimitsOptions = {},
): OperationMeasure {
  const defaultListSize = options.defaultListSize ?? OPERATION_LIMIT_DEFAULTS.defaultListSize;
  const sizeArguments = new Set(options.sizeArguments ?? OPERATION_LIMIT_DEFAULTS.sizeArguments);
  const mutationCost = options.mutationCost ?? OPERATION_LIMIT_DEFAULTS.mutationCost;
  const fragments = new Map<string, FragmentDefinitionNode>();
  for (const definition of document.definitions) {
    if (definition.kind === Kind.FRAGMENT_DEFINITION) fragments.set(definition.name.value, definition);
  }
  const variableDefaults = new Map<string, ValueNode>();
  for (const definition of operation.variableDefinitions ?? []) {
    if (definition.defaultValue) variableDefaults.set(definition.variable.name.value, definition.defaultValue);
  }
  const memo = new Map<string, Measured>();

  const intValue = (node: ValueNode | undefined): number | undefined => {
    if (!node) return undefined;
    if (node.kind === Kind.INT) return Number(node.value);
    if (node.kind === Kind.VARIABLE) {
      const value = variables?.[node.name.value];
      if (typeof value === 'number') return value;
      if (value === undefined) return intValue(variableDefaults.get(node.name.value));
    }
    return undefined;
  };

  /** The size a field's arguments give it, if any. */
  const sizeOf = (node: FieldNode, field: GraphQLField<unknown, unknown>): number | undefined => {
    for (const arg of field.args) {
      if (!sizeArguments.has(arg.name)) continue;
      const given = intValue(node.arguments?.find((a) => a.name.value === arg.name)?.value);
      const size = given ?? (typeof arg.defaultValue === 'number' ? arg.defaultValue : undefined);
      if (size !== undefined && Number.isFinite(size) && size >= 0) return size;
    }
    return undefined;
  };

  const fieldOf = (parent: GraphQLNamedType, name: string): GraphQLField<unknown, unknown> | undefined =>
    isObjectType(parent) || isInterfaceType(parent) ? parent.getFields()[name] : undefined;

  /**
   * `connectionSize` is the size of the enclosing connection field, applied to
   * its `edges` and `nodes` lists; `rootCost` the base cost of root fields.
   */
  const selectionSet = (
    set: SelectionSetNode,
    parent: GraphQLNamedType,
    connectionSize?: number,
    rootCost?: number,
  ): Measured => {
    const total: Measured = { depth: 0, aliases: 0, cost: 0 };
    const add = (m: Measured) => {
      total.depth = Math.max(total.depth, m.depth);
      total.aliases += m.aliases;
      total.cost += m.cost;
    };
    for (const selection of set.selections) {
      if (selection.kind === Kind.FIELD) {
        add(field(selection, parent, connectionSize, rootCost));
      } else if (selection.kind === Kind.INLINE_FRAGMENT) {
        const type = selection.typeCondition ? schema.getType(selection.typeCondition.name.value) : parent;
        if (type) add(selectionSet(selection.selectionSet, type, connectionSize, rootCost));
      } else {
        const key = `${selection.name.value}:${connectionSize ?? ''}:${rootCost ?? ''}`;
        let measured = memo.get(key);
        if (!measured) {
          const fragment = fragments.get(selection.name.value);
          const type = fragment && schema.getType(fragment.typeCondition.name.value);
          measured = { depth: 0, aliases: 0, cost: 0 };
          memo.set(key, measured); // a cycle (refused by validation anyway) counts nothing
          if (fragment && type) Object.assign(measured, selectionSet(fragment.selectionSet, type, connectionSize, rootCost));
        }
        add(measured);
      }
    }
    return total;
  };

  const field = (node: FieldNode, parent: GraphQLNamedType, connectionSize?: number, rootCost?: number): Measured => {
    const aliases = node.alias ? 1 : 0;
    const name = node.name.value;
    if (name === '__schema' || name === '__type') {
      return { depth: 0, aliases, cost: 0 };
    }
    const definition = fieldOf(parent, name);
    if (!definition || !node.selectionSet) return { depth: 1, aliases, cost: 0 };
    const type = getNullableType(definition.type);
    const namedType = getNamedType(type);
    const size = sizeOf(node, definition);
    const list = isListType(type);
    const inner = selectionSet(node.selectionSet, namedType, list ? undefined : size);
    const itemCost = (isCompositeType(namedType) ? (rootCost ?? 1) : 0) + inner.cost;
    const items = list ? (size ?? (name === 'edges' || name === 'nodes' ? connectionSize : undefined) ?? defaultListSize) : 1;
    return { depth: 1 + inner.depth, aliases: aliases + inner.aliases, cost: items * itemCost };
  };

  const root =
    operation.operation === 'mutation'
      ? schema.getMutationType()
      : operation.operation === 'subscription'
        ? schema.getSubscriptionType()
        : schema.getQueryType();
  if (!root) return { depth: 0, aliases: 0, cost: 0 };
  return selectionSet(operation.selectionSet, root, undefined, operation.operation === 'mutation' ? mutationCost : undefined);
}

/** The first limit the measure exceeds (in the order depth, aliases, cost), or undefined. */
export function exceededLimit(
  measure: OperationMeasure,
  options: OperationLimitsOptions = {},
): { limit: LimitName; actual: number; max: number } | undefined {
  const checks: [LimitName, number, number][] = [
    ['depth', measure.depth, options.maxDepth ?? OPERATION_LIMIT_DEFAULTS.maxDepth],
    ['aliases', measure.aliases, options.maxAliases ?? OPERATION_LIMIT_DEFAULTS.maxAliases],
    ['cost', measure.cost, options.maxCost ?? OPERATION_LIMIT_DEFAULTS.maxCost],
  ];
  for (const [limit, actual, max] of checks) {
    if (max > 0 && actual > max) return { limit, actual, max };
  }
  return undefined;
}

export interface OperationLimits<TContext extends object> {
  /** Apollo Server's `parseOptions`: graphql-js stops parsing past maxTokens tokens. */
  parseOptions: { maxTokens?: number };
  /** The plugin: the tokens error made precise, depth, aliases and cost at didResolveOperation. */
  plugin: ApolloServerPlugin<TContext>;
}

/**
 * Tokens: graphql-js' parser counts them and aborts past `maxTokens`, so a huge
 * document is never turned into an AST. Its syntax error is then replaced by
 * the limit error, with the exact count (lexed only on that path). (A plugin
 * cannot refuse before parsing itself: Apollo turns an error thrown from
 * didResolveSource or parsingDidStart into a 500.) The other limits are
 * checked at didResolveOperation, after validation, before any subgraph call.
 */
export function useOperationLimits<TContext extends object>(options: OperationLimitsOptions = {}): OperationLimits<TContext> {
  const maxTokens = options.maxTokens ?? OPERATION_LIMIT_DEFAULTS.maxTokens;
  return {
    parseOptions: maxTokens > 0 ? { maxTokens } : {},
    plugin: {
      async requestDidStart() {
        let tooManyTokens: GraphQLError | undefined;
        return {
          async parsingDidStart({ source }) {
            if (maxTokens <= 0) return;
            return async (error) => {
              if (!error) return;
              const tokens = countTokens(source, maxTokens);
              if (tokens > maxTokens) tooManyTokens = limitError('tokens', tokens, maxTokens);
            };
          },
          async didEncounterErrors({ errors }) {
            if (!tooManyTokens || errors.length !== 1) return;
            // The same array becomes the response's errors (Apollo's sendErrorResponse).
            (errors as GraphQLError[])[0] = tooManyTokens;
          },
          async didResolveOperation({ schema, document, operation, request }) {
            if (!operation) return;
            const measure = measureOperation(schema, document, operation, request.variables, options);
            const exceeded = exceededLimit(measure, options);
            if (exceeded) throw limitError(exceeded.limit, exceeded.actual, exceeded.max);
          },
        };
      },
    },
  };
}
