/**
 * GraphQL Code Generator: types every operation written with `graphql(...)`
 * in src/ from the public schema (schema/supergraph.graphql) into
 * src/gql/. Run `npm run codegen -w web` after changing an
 * operation; src/gql/codegen.test.ts fails when the committed output
 * drifts from what this config generates.
 */
import path from 'node:path';
import type { CodegenConfig } from '@graphql-codegen/cli';

const here = import.meta.dirname;

export const OUTPUT_DIR = 'src/gql/';

const config: CodegenConfig = {
  schema: path.join(here, '..', 'schema', 'supergraph.graphql'),
  documents: [path.join(here, 'src/**/*.{ts,tsx}'), `!${path.join(here, 'src/gql/**')}`],
  ignoreNoDocuments: true,
  generates: {
    [path.join(here, OUTPUT_DIR)]: {
      preset: 'client',
      presetConfig: { fragmentMasking: false },
      config: {
        onlyOperationTypes: true,
        enumsAsTypes: true,
        useTypeImports: true,
        skipTypename: true,
        scalars: {
          DateTime: 'string',
          JSONObject: 'Record<string, unknown>',
          JSON: 'unknown',
        },
      },
    },
  },
};

export default config;
