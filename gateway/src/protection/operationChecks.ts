/**
 * The checks behind the operation limits (operationLimits.ts wires them
 * into Apollo and the WebSocket): settings and their defaults, the error naming
 * an exceeded limit, and the checks of a request before and after graphql-js
 * validates its document, in this order:
 * - tokens: the document parsed here, stopping at `maxTokens`;
 * - values: variables or extensions nested deeper than `maxValueDepth`, or
 *   holding a number JSON parsed to Infinity (inputValues.ts);
 * - the operation: several without operationName, an unknown operationName;
 * - literals nested too deeply or out of a double's range (`1e309`);
 * - depth, aliases, fields, directives, cost of the operation with its
 *   fragments expanded (operationMeasure.ts);
 * - before validation only, overlaps: what makes validation quadratic
 *   (operationOverlaps.ts).
 */
import { labHttpError } from '@lab/shared';
import {
  type DocumentNode,
  type FragmentDefinitionNode,
  GraphQLError,
  type GraphQLSchema,
  getOperationAST,
  Kind,
  Lexer,
  type OperationDefinitionNode,
  parse,
  Source,
  TokenKind,
} from 'graphql';
import { LRUCache } from 'lru-cache';
import { type DocumentValues, documentValues, jsonValueShape } from './inputValues';
import { measureExpanded, type OperationMeasure } from './operationMeasure';
import { countOverlaps } from './operationOverlaps';

export type { OperationMeasure } from './operationMeasure';

export interface OperationLimitsOptions {
  /** Deepest nesting of fields (`{ a { b } }` is 2). Default 12; 0 turns the check off. */
  maxDepth?: number;
  /** Most aliased fields, counting a fragment once per use. Default 30; 0 turns the check off. */
  maxAliases?: number;
  /** Most fields (and fragment spreads and inline fragments) once fragments are expanded. Default 2,000; 0 turns the check off. */
  maxFields?: number;
  /** Most directives once fragments are expanded. Default 50; 0 turns the check off. */
  maxDirectives?: number;
  /** Most lexer tokens in the document (comments excluded), counted before parsing. Default 5,000; 0 turns the check off. */
  maxTokens?: number;
  /** Highest estimated cost (operationMeasure.ts). Default 50,000; 0 turns the check off. */
  maxCost?: number;
  /** Most pairs graphql-js' overlap validation may compare (operationOverlaps.ts). Default 20,000; 0 turns the check off. */
  maxOverlaps?: number;
  /** Deepest nesting of an input value: a variable, an extension, a literal. Default 32; 0 turns the check off. */
  maxValueDepth?: number;
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
  maxFields: 2_000,
  maxDirectives: 50,
  maxTokens: 5_000,
  maxCost: 50_000,
  maxOverlaps: 20_000,
  maxValueDepth: 32,
  defaultListSize: 20,
  sizeArguments: ['first', 'last', 'limit'],
  mutationCost: 10,
} as const satisfies Required<OperationLimitsOptions>;

export type LimitName = 'tokens' | 'depth' | 'aliases' | 'fields' | 'directives' | 'cost' | 'overlaps' | 'valueDepth';

/** Where the fields limit is off, the overlap count walks at most this many selections. */
const OVERLAP_WALK_WITHOUT_FIELDS_LIMIT = 100_000;

const setting = <K extends keyof OperationLimitsOptions>(options: OperationLimitsOptions, key: K) =>
  (options[key] ?? OPERATION_LIMIT_DEFAULTS[key]) as Required<OperationLimitsOptions>[K];

/** The BAD_USER_INPUT (HTTP 400) error for one exceeded limit; `where` names what exceeded it, if not the document. */
export function limitError(limit: LimitName, actual: number, max: number, where?: string): GraphQLError {
  const shown = (n: number) => (Number.isFinite(n) ? Math.round(n).toLocaleString('en-US') : 'more than can be counted');
  return labHttpError(
    'BAD_USER_INPUT',
    `${limit} ${shown(actual)} exceeds the limit of ${shown(max)}${where ? ` in ${where}` : ''}`,
    {
      limit,
      actual: Number.isFinite(actual) ? actual : Number.MAX_SAFE_INTEGER,
      max,
    },
  );
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

/** Depth, aliases, fields, directives and estimated cost of one operation, fragments expanded (operationMeasure.ts). */
export function measureOperation(
  schema: GraphQLSchema,
  document: DocumentNode,
  operation: OperationDefinitionNode,
  variables: Record<string, unknown> | undefined = {},
  options: OperationLimitsOptions = {},
): OperationMeasure {
  return measureExpanded(schema, document, operation, variables, {
    defaultListSize: setting(options, 'defaultListSize'),
    sizeArguments: setting(options, 'sizeArguments'),
    mutationCost: setting(options, 'mutationCost'),
  });
}

/** The first limit the measure exceeds (in the order depth, aliases, fields, directives, cost), or undefined. */
export function exceededLimit(
  measure: OperationMeasure,
  options: OperationLimitsOptions = {},
): { limit: LimitName; actual: number; max: number } | undefined {
  const checks: [LimitName, number, number][] = [
    ['depth', measure.depth, setting(options, 'maxDepth')],
    ['aliases', measure.aliases, setting(options, 'maxAliases')],
    ['fields', measure.fields, setting(options, 'maxFields')],
    ['directives', measure.directives, setting(options, 'maxDirectives')],
    ['cost', measure.cost, setting(options, 'maxCost')],
  ];
  for (const [limit, actual, max] of checks) {
    if (max > 0 && actual > max) return { limit, actual, max };
  }
  return undefined;
}

/** The operation a request runs, or the BAD_USER_INPUT error saying why none can be picked. */
export function pickOperation(
  document: DocumentNode,
  operationName: string | null | undefined,
): OperationDefinitionNode | GraphQLError {
  const operation = getOperationAST(document, operationName);
  if (operation) return operation;
  const count = document.definitions.filter((d) => d.kind === Kind.OPERATION_DEFINITION).length;
  const message =
    count === 0
      ? 'The document has no operation to run'
      : operationName
        ? `Unknown operation named "${operationName}": operationName must name one of the document's operations`
        : 'The document has several operations: operationName must name the one to run';
  return labHttpError('BAD_USER_INPUT', message);
}

/** A refusal for what the variables or extensions of a request hold (nesting, non-finite numbers), if any. */
export function checkRequestValues(
  values: { variables?: unknown; extensions?: unknown },
  options: OperationLimitsOptions = {},
): GraphQLError | undefined {
  const maxValueDepth = setting(options, 'maxValueDepth');
  for (const where of ['variables', 'extensions'] as const) {
    const value = values[where];
    if (value === null || typeof value !== 'object') continue;
    const shape = jsonValueShape(value);
    // The variables object itself is not a level: `{ "m": { "a": 1 } }` gives $m a nesting of 1, as the literal would.
    if (maxValueDepth > 0 && shape.nesting - 1 > maxValueDepth) {
      return limitError('valueDepth', shape.nesting - 1, maxValueDepth, where);
    }
    if (shape.nonFiniteNumber) {
      return labHttpError('BAD_USER_INPUT', `The ${where} hold a number too large for a 64-bit float (such as 1e309)`);
    }
  }
  return undefined;
}

/**
 * Parsed documents kept per settings, by query text: at most this many, and this
 * many characters of text (their syntax trees take some tens of times more); a
 * longer text is parsed each time.
 */
const PARSED_DOCUMENTS = { max: 1_000, maxSize: 1024 * 1024, maxEntrySize: 64 * 1024 };
/** Measures kept per operation, one per distinct value of the variables that size its lists. */
const MEASURES_PER_OPERATION = 16;

const NO_NAME = Symbol('no operationName');
const NOT_A_SIZE = Symbol('not a size');
/** What a variable's value is to the measure: its number, undefined (the default applies), or no size at all. */
const asSize = (value: unknown) => (typeof value === 'number' ? value : value === undefined ? undefined : NOT_A_SIZE);

interface KeptMeasure {
  schema: GraphQLSchema;
  /** The variables the measure read, each with what its value was to the measure. */
  reads: [string, unknown][];
  measure: OperationMeasure;
}

/** What the checks found in one operation of a document. */
interface OperationFacts {
  operation: OperationDefinitionNode;
  measures: KeptMeasure[];
  overlaps?: number;
}

/** What the checks found in a document, none of it depending on the request's variables. */
interface DocumentFacts {
  literals?: DocumentValues;
  /** By operationName (NO_NAME when none is given): only operations that could be picked. */
  operations: Map<string | symbol, OperationFacts>;
}

/**
 * What the checks keep between requests, per settings (one options object):
 * documents parsed by query text, and what was found in each parsed document
 * (Apollo's cached documents included), so a repeated operation is neither
 * parsed nor walked again. Its measure is kept with the values of the
 * variables it read, and reused only for requests whose variables read the same.
 */
interface Kept {
  parsed: LRUCache<string, DocumentNode>;
  facts: WeakMap<DocumentNode, DocumentFacts>;
}
const keptBySettings = new WeakMap<OperationLimitsOptions, Kept>();

function keptFor(options: OperationLimitsOptions): Kept {
  let kept = keptBySettings.get(options);
  if (!kept) {
    kept = {
      parsed: new LRUCache<string, DocumentNode>({
        ...PARSED_DOCUMENTS,
        sizeCalculation: (_document, query) => query.length || 1,
      }),
      facts: new WeakMap(),
    };
    keptBySettings.set(options, kept);
  }
  return kept;
}

function factsOf(kept: Kept, document: DocumentNode): DocumentFacts {
  let facts = kept.facts.get(document);
  if (!facts) {
    facts = { operations: new Map() };
    kept.facts.set(document, facts);
  }
  return facts;
}

/** The measure of an operation for these variables (kept, or measured and kept), or a RangeError from the stack running out. */
function measureOf(
  schema: GraphQLSchema,
  document: DocumentNode,
  facts: OperationFacts,
  variables: Record<string, unknown>,
  options: OperationLimitsOptions,
): OperationMeasure {
  for (const kept of facts.measures) {
    if (kept.schema === schema && kept.reads.every(([name, size]) => Object.is(asSize(variables[name]), size))) {
      return kept.measure;
    }
  }
  const reads: [string, unknown][] = [];
  const measure = measureExpanded(
    schema,
    document,
    facts.operation,
    variables,
    {
      defaultListSize: setting(options, 'defaultListSize'),
      sizeArguments: setting(options, 'sizeArguments'),
      mutationCost: setting(options, 'mutationCost'),
    },
    (name, value) => reads.push([name, asSize(value)]),
  );
  if (facts.measures.length >= MEASURES_PER_OPERATION) facts.measures.shift();
  facts.measures.push({ schema, reads, measure });
  return measure;
}

/**
 * A refusal for a parsed document, if any: the operation cannot be picked, a
 * literal nests too deeply or is out of range, a measured limit is exceeded,
 * or (`beforeValidation`) validation would compare too many overlaps.
 * What does not depend on the variables is found once per document and
 * settings (the same options object) and kept.
 */
export function checkDocument(
  schema: GraphQLSchema,
  document: DocumentNode,
  request: { operationName?: string | null; variables?: Record<string, unknown> | null },
  options: OperationLimitsOptions = {},
  beforeValidation = false,
): GraphQLError | undefined {
  return checkKnownDocument(keptFor(options), schema, document, request, options, beforeValidation);
}

function checkKnownDocument(
  kept: Kept,
  schema: GraphQLSchema,
  document: DocumentNode,
  request: { operationName?: string | null; variables?: Record<string, unknown> | null },
  options: OperationLimitsOptions,
  beforeValidation: boolean,
): GraphQLError | undefined {
  const facts = factsOf(kept, document);
  const name = request.operationName ?? NO_NAME;
  let operation = facts.operations.get(name);
  if (!operation) {
    const picked = pickOperation(document, request.operationName);
    if (!('operation' in picked)) return picked;
    operation = { operation: picked, measures: [] };
    facts.operations.set(name, operation);
  }
  const maxValueDepth = setting(options, 'maxValueDepth');
  facts.literals ??= documentValues(document);
  const { literals } = facts;
  if (maxValueDepth > 0 && literals.nesting > maxValueDepth) return limitError('valueDepth', literals.nesting, maxValueDepth);
  if (literals.outOfRange !== undefined) {
    return labHttpError(
      'BAD_USER_INPUT',
      `The number ${literals.outOfRange.slice(0, 40)} is out of range: it does not fit a 64-bit float`,
    );
  }
  let measure: OperationMeasure;
  try {
    measure = measureOf(schema, document, operation, request.variables ?? {}, options);
  } catch (err) {
    // Nesting deep enough to exhaust the stack (with the tokens limit raised far): too deep by any limit.
    if (err instanceof RangeError) return limitError('depth', Number.POSITIVE_INFINITY, setting(options, 'maxDepth'));
    throw err;
  }
  const exceeded = exceededLimit(measure, options);
  if (exceeded) return limitError(exceeded.limit, exceeded.actual, exceeded.max);
  const maxOverlaps = setting(options, 'maxOverlaps');
  if (beforeValidation && maxOverlaps > 0) {
    if (operation.overlaps === undefined) {
      const fragments = fragmentsOf(document);
      const maxFields = setting(options, 'maxFields');
      operation.overlaps = countOverlaps(
        operation.operation,
        fragments,
        maxFields > 0 ? maxFields : OVERLAP_WALK_WITHOUT_FIELDS_LIMIT,
      );
    }
    if (operation.overlaps > maxOverlaps) return limitError('overlaps', operation.overlaps, maxOverlaps);
  }
  return undefined;
}

function fragmentsOf(document: DocumentNode): Map<string, FragmentDefinitionNode> {
  const fragments = new Map<string, FragmentDefinitionNode>();
  for (const d of document.definitions) if (d.kind === Kind.FRAGMENT_DEFINITION) fragments.set(d.name.value, d);
  return fragments;
}

/** The operation a request runs in a document the checks have seen (as pickOperation, without looking again). */
export function operationOf(
  document: DocumentNode,
  operationName: string | null | undefined,
  options: OperationLimitsOptions = {},
): OperationDefinitionNode | undefined {
  const known = keptBySettings
    .get(options)
    ?.facts.get(document)
    ?.operations.get(operationName ?? NO_NAME);
  return known ? known.operation : (getOperationAST(document, operationName) ?? undefined);
}

/** What a GraphQL request carries, as sent (HTTP body or query string, WebSocket subscribe payload). */
export interface GraphQLRequestFields {
  query?: unknown;
  operationName?: unknown;
  variables?: unknown;
  extensions?: unknown;
}

/**
 * Every check that can run before graphql-js validates the document: tokens
 * (the document parsed here, stopping at the limit; kept by query text per
 * settings, so a repeated query is not parsed again), request values, then
 * checkDocument. A document that does not parse is refused with graphql-js'
 * syntax error, coded as Apollo codes it (GRAPHQL_PARSE_FAILED, which
 * maskError answers as BAD_USER_INPUT): graphql-ws would close the socket
 * with 4500 on it.
 */
export function checkBeforeValidation(
  schema: GraphQLSchema,
  request: GraphQLRequestFields,
  options: OperationLimitsOptions = {},
): GraphQLError | undefined {
  if (typeof request.query !== 'string') return checkRequestValues(request, options);
  const kept = keptFor(options);
  let document = kept.parsed.get(request.query);
  if (!document) {
    const maxTokens = setting(options, 'maxTokens');
    try {
      // Only these checks read this document: no locations needed.
      document = parse(request.query, maxTokens > 0 ? { maxTokens, noLocation: true } : { noLocation: true });
    } catch (err) {
      const tokens = maxTokens > 0 ? countTokens(request.query, maxTokens) : 0;
      if (tokens > maxTokens) return limitError('tokens', tokens, maxTokens);
      // Nesting that exhausts the parser's stack (possible only with the tokens limit raised far): too deep.
      if (!(err instanceof GraphQLError)) return limitError('depth', Number.POSITIVE_INFINITY, setting(options, 'maxDepth'));
      return new GraphQLError(err.message, {
        source: err.source,
        positions: err.positions,
        extensions: { code: 'GRAPHQL_PARSE_FAILED', http: { status: 400 } },
      });
    }
    kept.parsed.set(request.query, document);
  }
  const refused = checkRequestValues(request, options);
  if (refused) return refused;
  const operationName = typeof request.operationName === 'string' ? request.operationName : undefined;
  const variables = request.variables !== null && typeof request.variables === 'object' ? request.variables : undefined;
  return checkKnownDocument(
    kept,
    schema,
    document,
    { operationName, variables: variables as Record<string, unknown> },
    options,
    true,
  );
}
