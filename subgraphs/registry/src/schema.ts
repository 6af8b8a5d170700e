/**
 * The registry subgraph's SDL, assembled from each domain's part. Kept free
 * of runtime imports beyond graphql's parser and SDL strings: the gateway's
 * compose script imports it as `@lab/registry/schema`.
 */
import { parse } from 'graphql';
import { commonSdl } from './common/sdl';
import { lineageSdl } from './domains/datasets/lineage';
import { datasetsSdl } from './domains/datasets/sdl';
import { runSdl } from './domains/experiments/runSdl';
import { experimentsSdl } from './domains/experiments/sdl';
import { identitySdl } from './domains/identity/sdl';
import { modelsSdl } from './domains/models/sdl';
import { operationsSdl } from './domains/operations/sdl';
import { promptsSdl } from './domains/prompts/sdl';
import { reconcileSdl } from './domains/reconcile/sdl';

export { BOOTSTRAP_ADMIN_ID } from './constants';

const FEDERATION = /* GraphQL */ `
  extend schema @link(url: "https://specs.apollo.dev/federation/v2.7", import: ["@key", "@shareable", "@inaccessible", "@requiresScopes"])
`;

export const typeDefs = parse(
  [
    FEDERATION,
    commonSdl,
    identitySdl,
    experimentsSdl,
    runSdl,
    modelsSdl,
    datasetsSdl,
    promptsSdl,
    lineageSdl,
    operationsSdl,
    reconcileSdl,
  ].join('\n'),
);
