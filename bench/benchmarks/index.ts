import type { Benchmark } from '../harness';
import { artifacts } from './artifacts';
import { federatedList } from './federatedList';
import { gatewayOverhead } from './gatewayOverhead';
import { gatewaySpeed } from './gatewaySpeed';
import { metricsIngest } from './metricsIngest';
import { metricsSeries } from './metricsSeries';
import { mlflowImport } from './mlflowImport';
import { mlflowLogBatch } from './mlflowLogBatch';
import { modelVersions } from './modelVersions';
import { pythonClient } from './pythonClient';
import { runsByMetrics } from './runsByMetrics';
import { sagas } from './sagas';
import { scaleOut } from './scaleOut';
import { subscriptionFanout } from './subscriptionFanout';
import { webApp } from './webApp';

/** Every benchmark `npm run bench` runs, in order. Later work adds its own here. */
export const benchmarks: Benchmark[] = [
  gatewayOverhead,
  gatewaySpeed,
  federatedList,
  modelVersions,
  metricsIngest,
  metricsSeries,
  runsByMetrics,
  artifacts,
  subscriptionFanout,
  scaleOut,
  sagas,
  pythonClient,
  mlflowLogBatch,
  mlflowImport,
  webApp,
];
