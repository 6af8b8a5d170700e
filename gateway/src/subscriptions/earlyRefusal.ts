/**
 * A WebSocket operation refused before graphql-ws parses and validates its
 * document (operation limits: protection/operationLimits.ts), answered as refusals
 * after validation are: a `next` message carrying the errors, then
 * `complete`. onSubscribe returns `refusedArgs`: graphql-ws neither parses
 * nor validates arguments onSubscribe returns, and hands them to the
 * server's execute, which answers `refusalOf` them.
 */
import { maskError } from '@lab/shared';
import { type ExecutionArgs, type ExecutionResult, type GraphQLError, type GraphQLSchema, parse } from 'graphql';

const REFUSAL = Symbol('refused before validation');
/** What graphql-ws is given to run instead: a query, so it calls execute. */
const PLACEHOLDER = parse('{ __typename }');

/** Arguments for graphql-ws that carry the refusal to the server's execute. */
export function refusedArgs(schema: GraphQLSchema, error: GraphQLError): ExecutionArgs {
  return { schema, document: PLACEHOLDER, contextValue: { [REFUSAL]: error } };
}

/** The answer to arguments made by refusedArgs: the error as clients get it (no HTTP status), or undefined. */
export function refusalOf(args: ExecutionArgs): ExecutionResult | undefined {
  const error = (args.contextValue as { [REFUSAL]?: GraphQLError } | undefined)?.[REFUSAL];
  return error ? ({ errors: [maskError(error.toJSON(), undefined)] } as unknown as ExecutionResult) : undefined;
}
