/**
 * The Apollo Server behind /graphql (and the queries and mutations sent over
 * the WebSocket): Apollo Gateway's execution over the supergraph, with the
 * gateway's plugins in the order they act (request observation, persisted
 * queries, operation limits, authorization) and every error leaving masked
 * with the request id (maskError). Started before it is returned.
 */
import { ApolloServer } from '@apollo/server';
import { ApolloServerPluginLandingPageDisabled } from '@apollo/server/plugin/disabled';
import type { GatewayInterface } from '@apollo/server-gateway-interface';
import { type Logger, maskError } from '@lab/shared';
import { useAuthorization } from '../auth/useAuthorization';
import type { GatewayContext } from '../context';
import { scopeOfError } from '../observability/requestId';
import type { RequestObserver } from '../observability/requestObserver';
import type { OperationLimits } from '../protection/operationLimits';
import type { PersistedQueries } from '../protection/persistedQueries';

export interface GatewayApolloServerOptions {
  /** The execution (gatewayExecutor.ts). */
  gateway: GatewayInterface;
  /** The supergraph as the gateway serves it (enforcedSupergraph): useAuthorization reads its directives. */
  supergraphSdl: string;
  observer: Pick<RequestObserver, 'plugin'>;
  persisted: PersistedQueries;
  limits: OperationLimits<GatewayContext>;
  log: Logger;
}

export async function startApolloServer(options: GatewayApolloServerOptions): Promise<ApolloServer<GatewayContext>> {
  const { log } = options;
  const apollo = new ApolloServer<GatewayContext>({
    gateway: options.gateway,
    csrfPrevention: true,
    introspection: true,
    includeStacktraceInErrorResponses: false,
    // The process's signals are runService's: Apollo's own handler would signal the process a second time.
    stopOnTerminationSignals: false,
    persistedQueries: options.persisted.persistedQueries,
    parseOptions: options.limits.parseOptions,
    plugins: [
      ApolloServerPluginLandingPageDisabled(),
      options.observer.plugin,
      options.persisted.plugin,
      options.limits.plugin,
      useAuthorization({ supergraphSdl: options.supergraphSdl }),
    ],
    formatError: (formatted, error) => {
      const scope = scopeOfError(error);
      return maskError(formatted, scope?.requestId, () =>
        (scope?.log ?? log).error({ err: error, path: formatted.path }, 'internal error'),
      );
    },
  });
  await apollo.start();
  return apollo;
}
