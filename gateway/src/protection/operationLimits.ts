/**
 * Operation limits, checked before any subgraph is called, over the operation
 * as it will execute (every fragment spread expanded, counts multiplied; the
 * checks are in operationChecks.ts). A refused operation answers 400
 * BAD_USER_INPUT naming the limit:
 * `{ message: "depth 14 exceeds the limit of 12", extensions: { code, limit: "depth", actual: 14, max: 12 } }`.
 *
 * Two checkpoints:
 * - before validation: the HTTP request once its caller is known
 *   (`checkRequest` wraps Apollo's context function: an error thrown from a
 *   plugin hook before didResolveOperation is a 500) and each WebSocket
 *   subscribe message (subscriptions/websocketServer.ts), so graphql-js never validates a
 *   document that would make it spend seconds;
 * - after validation (the plugin's didResolveOperation), for every operation
 *   Apollo runs, APQ hashes and WebSocket queries included; then a
 *   subscription sent over HTTP is refused with where to send it.
 */
import type { ApolloServerPlugin } from '@apollo/server';
import { labHttpError } from '@lab/shared';
import type { GraphQLError, GraphQLSchema } from 'graphql';
import {
  checkBeforeValidation,
  checkDocument,
  countTokens,
  type GraphQLRequestFields,
  limitError,
  OPERATION_LIMIT_DEFAULTS,
  type OperationLimitsOptions,
  operationOf,
} from './operationChecks';

export { checkBeforeValidation, checkDocument, type OperationLimitsOptions } from './operationChecks';

/** The GraphQL fields of an HTTP request: a POST's JSON body, or a GET's query string (variables and extensions as JSON). */
function requestFieldsOf(req: { method?: string; body?: unknown; query?: unknown }): GraphQLRequestFields {
  if (req.method !== 'GET') return req.body !== null && typeof req.body === 'object' ? (req.body as GraphQLRequestFields) : {};
  const search = (req.query ?? {}) as Record<string, unknown>;
  const json = (value: unknown) => {
    if (typeof value !== 'string') return undefined;
    try {
      return JSON.parse(value) as unknown;
    } catch {
      return undefined; // Apollo answers the malformed parameter
    }
  };
  return {
    query: search.query,
    operationName: search.operationName,
    variables: json(search.variables),
    extensions: json(search.extensions),
  };
}

export interface OperationLimits<TContext extends object> {
  /** Apollo Server's `parseOptions`: graphql-js stops parsing past maxTokens tokens. */
  parseOptions: { maxTokens?: number };
  /** The plugin: the tokens error made precise; the checks after validation; subscriptions over HTTP refused. */
  plugin: ApolloServerPlugin<TContext>;
  /**
   * Wraps Apollo's context function (authentication, rate limit) of the express
   * integration (`args.req`): once the caller is known, the request is checked
   * before Apollo parses and validates it; `onRefused` hears of each refusal
   * with the context and the operation name sent.
   */
  checkRequest<A, C>(
    schema: GraphQLSchema,
    context: (args: A) => Promise<C>,
    onRefused?: (context: C, refusal: GraphQLError, operationName: unknown) => void,
  ): (args: A) => Promise<C>;
}

/** Where subscriptions go, for a client that sent one over HTTP. */
export const SUBSCRIPTIONS_OVER_HTTP =
  'Subscriptions are not served over HTTP: open a WebSocket to /graphql with the graphql-transport-ws protocol (what graphql-ws clients speak) and subscribe there';

/**
 * Tokens: graphql-js' parser counts them and aborts past `maxTokens`, so a huge
 * document is never turned into an AST. Its syntax error is then replaced by
 * the limit error, with the exact count (lexed only on that path). (A plugin
 * cannot refuse before parsing itself: Apollo turns an error thrown from
 * didResolveSource or parsingDidStart into a 500; hence `checkRequest`.)
 */
export function createOperationLimits<TContext extends object>(options: OperationLimitsOptions = {}): OperationLimits<TContext> {
  const maxTokens = options.maxTokens ?? OPERATION_LIMIT_DEFAULTS.maxTokens;
  return {
    parseOptions: maxTokens > 0 ? { maxTokens } : {},
    checkRequest(schema, context, onRefused) {
      return async (args) => {
        const value = await context(args);
        const { req } = args as { req: { method?: string; body?: unknown; query?: unknown } };
        const fields = requestFieldsOf(req);
        const refused = checkBeforeValidation(schema, fields, options);
        if (!refused) return value;
        onRefused?.(value, refused, fields.operationName);
        throw refused;
      };
    },
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
          async didResolveOperation({ schema, document, request }) {
            const refused = checkDocument(schema, document, request, options);
            if (refused) throw refused;
            const operation = operationOf(document, request.operationName, options);
            if (operation?.operation === 'subscription') throw labHttpError('BAD_USER_INPUT', SUBSCRIPTIONS_OVER_HTTP);
          },
        };
      },
    },
  };
}
