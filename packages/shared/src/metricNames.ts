/**
 * The rule of a metric's name, one for every path that takes or reads one
 * (ingest, queries, streams, exports, the MLflow API): 1 to 200 characters of
 * [A-Za-z0-9_./-], the first a letter, digit or underscore.
 */
export const METRIC_NAME_RULE = '^[A-Za-z0-9_][A-Za-z0-9_./-]{0,199}$';
export const METRIC_NAME = new RegExp(METRIC_NAME_RULE);
