/**
 * The variables of a subscription checked against its operation's
 * definitions before it is planned, as graphql-js does for a query: a missing
 * required variable or a value of the wrong type is the client's mistake
 * (BAD_USER_INPUT naming the variable), not an error the owning subgraph
 * would meet later and answer as INTERNAL.
 */
import { labError } from '@lab/shared';
import { type ExecutionArgs, type GraphQLError, type GraphQLSchema, getOperationAST, getVariableValues } from 'graphql';

/** The errors of the variables of a validated subscription, or undefined when they fit its definitions. */
export function invalidVariables(schema: GraphQLSchema, args: ExecutionArgs): GraphQLError[] | undefined {
  const operation = getOperationAST(args.document, args.operationName);
  if (!operation) return undefined;
  const coerced = getVariableValues(schema, operation.variableDefinitions ?? [], args.variableValues ?? {}, { maxErrors: 10 });
  return coerced.errors?.map((error) => labError('BAD_USER_INPUT', error.message));
}
