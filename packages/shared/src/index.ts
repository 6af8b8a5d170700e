/**
 * @lab/shared, the public core: what every service and the gateway need (configuration, errors and their public
 * texts, logging, the signed caller context, health, HTTP serving and stopping, scopes, topology, the audit and
 * API-usage record formats). The subgraph server lives in `@lab/shared/subgraph`, service-to-service calls in
 * `@lab/shared/internal`.
 */
export * from './apiUsage';
export * from './audit';
export * from './callerContext';
export * from './config';
export * from './errors';
export * from './fileNames';
export * from './health';
export * from './httpServer';
export * from './logger';
export * from './metricNames';
export * from './publicErrors';
export * from './ready';
export * from './scopes';
export * from './stopSchedule';
export * from './stopSignals';
export * from './topology';
