/**
 * What the gateway costs: the same query sent straight to the registry
 * subgraph (signed as the gateway would) and through the gateway.
 */
import { type Benchmark, directAndThroughGateway, figure } from '../harness';

const QUERY = '{ me { id name isAdmin } }';

export const gatewayOverhead: Benchmark = {
  name: 'gateway-overhead',
  description: 'A one-subgraph query through the gateway vs the same query sent straight to the registry subgraph',
  async run(context) {
    const { baseline, measured } = await directAndThroughGateway(context, 'registry', QUERY);
    const base = (v: number) => ({ name: 'direct registry subgraph call', value: v });
    return [
      figure('throughput through the gateway', 'req/s', measured.requestsPerSecond, base(baseline.requestsPerSecond), 'higher'),
      figure('p50 latency through the gateway', 'ms', measured.p50Ms, base(baseline.p50Ms), 'lower'),
      figure('p99 latency through the gateway', 'ms', measured.p99Ms, base(baseline.p99Ms), 'lower'),
    ];
  },
};
