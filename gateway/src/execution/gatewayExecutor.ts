/**
 * The gateway's execution stack, built in one place: one signed data source
 * per subgraph, queries and mutations executed from their plan by
 * planExecution.ts, Apollo Gateway over the supergraph for the rest. The
 * platform's server (server.ts) and the gateway-speed benchmark both build
 * it here, so the benchmark measures what the platform runs.
 */
import { ApolloGateway, type GraphQLDataSource } from '@apollo/gateway';
import type { GatewayInterface } from '@apollo/server-gateway-interface';
import type { Logger } from '@lab/shared';
import type { GatewayContext } from '../context';
import { dedupeSubgraphRequests } from './dedupeSubgraphRequests';
import { PlanExecution } from './planExecution';
import { SignedDataSource } from './signedDataSource';
import { type SubgraphFetcherOptions, subgraphFetcher } from './subgraphFetcher';
import { SupergraphPlanning } from './supergraphPlanning';

export interface GatewayExecutorOptions {
  supergraphSdl: string;
  /** Each subgraph's URL by name; a subgraph the supergraph names but this lacks is refused at start. */
  subgraphUrls: Readonly<Record<string, string>>;
  /** LAB_INTERNAL_SECRET: every subgraph request is signed with it. */
  secret: string;
  log: Logger;
  /** Connections to the subgraphs (subgraphFetcher.ts, its defaults). */
  fetcher?: SubgraphFetcherOptions;
  /** Send identical in-flight subgraph queries of one caller once (dedupeSubgraphRequests.ts). Default true. */
  dedupe?: boolean;
  /** Execute query plans with planExecution.ts (Apollo Gateway's executor only for what it leaves). Default true. */
  planExecution?: boolean;
}

export interface GatewayExecutor {
  gateway: GatewayInterface;
  /** One data source per subgraph, shared by the gateway's query plans and the subscription executor. */
  services: Record<string, GraphQLDataSource<GatewayContext>>;
  /** The supergraph's schemas and planner, for the subscription planner too. */
  planning: SupergraphPlanning;
  /** The gateway's own plan execution (absent when turned off). */
  planExecution: PlanExecution | undefined;
  /** Closes the idle subgraph connections. */
  close(): void;
}

export function createGatewayExecutor(options: GatewayExecutorOptions): GatewayExecutor {
  const { supergraphSdl, subgraphUrls, secret, log } = options;
  // Keep-alive connections instead of RemoteGraphQLDataSource's make-fetch-happen.
  const fetcher = subgraphFetcher(options.fetcher);
  const services: Record<string, GraphQLDataSource<GatewayContext>> = {};
  for (const [name, url] of Object.entries(subgraphUrls)) {
    const source = new SignedDataSource(name, url, secret, log, fetcher);
    services[name] = options.dedupe === false ? source : dedupeSubgraphRequests(name, source);
  }
  const apolloGateway = new ApolloGateway({
    supergraphSdl,
    logger: log.child({ component: 'apollo-gateway' }),
    buildService: ({ name }) => {
      const service = Object.hasOwn(services, name) ? services[name] : undefined;
      if (!service) throw new Error(`the supergraph names an unknown subgraph "${name}"`);
      return service;
    },
  });
  const planning = new SupergraphPlanning(supergraphSdl);
  const planExecution = options.planExecution === false ? undefined : new PlanExecution({ planning, services });
  const gateway = planExecution ? planExecution.around(apolloGateway) : apolloGateway;
  return { gateway, services, planning, planExecution, close: fetcher.close };
}
