/**
 * What the gateway costs: the same query sent straight to the registry
 * subgraph (signed as the gateway would) and through the gateway.
 */
import { BOOTSTRAP_ADMIN_ID, signContext } from '@lab/shared';
import { type Benchmark, figure, load } from '../harness';

const QUERY = '{ me { id name isAdmin } }';

export const gatewayOverhead: Benchmark = {
  name: 'gateway-overhead',
  description: 'A one-subgraph query through the gateway vs the same query sent straight to the registry subgraph',
  async run({ platform, durationSeconds, connections }) {
    const secret = platform.serviceEnv.LAB_INTERNAL_SECRET as string;
    const body = JSON.stringify({ query: QUERY });
    const warm = { durationSeconds: 1, connections };
    const direct = async (seconds: number) =>
      load({
        url: `${platform.services.registry.url}/graphql`,
        headers: {
          'content-type': 'application/json',
          'x-lab-context': signContext(secret, {
            requestId: 'bench',
            caller: { id: BOOTSTRAP_ADMIN_ID, kind: 'admin', scopes: ['*'] },
            query: QUERY,
          }),
        },
        body,
        durationSeconds: seconds,
        connections,
      });
    const viaGateway = (seconds: number) =>
      load({
        url: platform.graphqlUrl,
        headers: { 'content-type': 'application/json', authorization: `Bearer ${platform.adminApiKey}` },
        body,
        durationSeconds: seconds,
        connections,
      });
    await direct(warm.durationSeconds);
    await viaGateway(warm.durationSeconds);
    const baseline = await direct(durationSeconds);
    const measured = await viaGateway(durationSeconds);
    for (const [name, r] of [
      ['direct', baseline],
      ['gateway', measured],
    ] as const) {
      if (r.errors > 0 || r.non2xx > 0) throw new Error(`${name}: ${r.errors} errors, ${r.non2xx} non-2xx answers`);
    }
    const base = (v: number) => ({ name: 'direct registry subgraph call', value: v });
    return [
      figure('throughput through the gateway', 'req/s', measured.requestsPerSecond, base(baseline.requestsPerSecond), 'higher'),
      figure('p50 latency through the gateway', 'ms', measured.p50Ms, base(baseline.p50Ms), 'lower'),
      figure('p99 latency through the gateway', 'ms', measured.p99Ms, base(baseline.p99Ms), 'lower'),
    ];
  },
};
