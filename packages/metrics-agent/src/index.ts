export {
  createMetricsAgent,
  encodePoint,
  type LogOptions,
  METRIC_NAME_PATTERN,
  type MetricsAgent,
  type MetricsAgentOptions,
  type MetricsAgentStats,
} from './agent';
export {
  AgentClosedError,
  BackpressureError,
  type BatchFailure,
  type LineError,
  MetricsAgentError,
  MetricsBatchError,
} from './errors';
export { backoffDelay, parseRetryAfter } from './transport';
