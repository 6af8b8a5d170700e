/**
 * What the gateway costs: the same query sent straight to the registry
 * subgraph (signed as the gateway would) and through the gateway.
 */
import { type Benchmark, directAndThroughGateway, figure, latencyFigures } from '../harness';

const QUERY = '{ me { id name isAdmin } }';

export const gatewayOverhead: Benchmark = {
  name: 'gateway-overhead',
  description: 'A one-subgraph query through the gateway vs the same query sent straight to the registry subgraph',
  async run(context) {
    const { baseline, measured } = await directAndThroughGateway(context, 'registry', QUERY);
    const name = 'direct registry subgraph call';
    const base = (v: number) => ({ name, value: v });
    return [
      figure('throughput through the gateway', 'req/s', measured.requestsPerSecond, base(baseline.requestsPerSecond), 'higher'),
      ...latencyFigures('latency through the gateway', measured, { ...baseline, name }),
    ];
  },
};
