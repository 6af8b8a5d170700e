import { createRequire } from 'node:module';
import { defineConfig } from 'vitest/config';

// One graphql for source and dependencies: Vite would resolve `graphql` for
// our files by its "module" field (index.mjs) while Node loads its "main"
// (index.js) for packages such as graphql-ws, and `instanceof GraphQLError`
// fails across the two copies. Node's choice wins, as it does in production.
const resolve = { alias: [{ find: /^graphql$/, replacement: createRequire(import.meta.url).resolve('graphql') }] };

// Tests are split by suffix:
//   *.test.ts      unit: no store, no process, milliseconds each (web/: the app's components, in project web)
//   *.int.test.ts  integration: one package against the embedded stores
//   *.e2e.test.ts  end to end: the whole platform as real processes, through the gateway
export default defineConfig({
  test: {
    projects: [
      {
        resolve,
        test: {
          name: 'unit',
          sequence: { groupOrder: 0 },
          include: [
            'packages/*/src/**/*.test.ts',
            'subgraphs/*/src/**/*.test.ts',
            'gateway/src/**/*.test.ts',
            'ops/src/**/*.test.ts',
          ],
          exclude: ['**/*.int.test.ts', '**/*.e2e.test.ts', '**/node_modules/**'],
        },
      },
      {
        // The web app's component tests (a DOM in happy-dom) and its generated-types check; web/vite.config.ts's plugins.
        extends: './web/vite.config.ts',
        resolve,
        test: {
          name: 'web',
          sequence: { groupOrder: 0 },
          include: ['web/src/**/*.test.{ts,tsx}'],
          environment: 'happy-dom',
        },
      },
      {
        resolve,
        test: {
          name: 'integration',
          sequence: { groupOrder: 1 },
          include: [
            'packages/*/src/**/*.int.test.ts',
            'subgraphs/*/src/**/*.int.test.ts',
            'gateway/src/**/*.int.test.ts',
            'ops/src/**/*.int.test.ts',
          ],
          exclude: ['**/node_modules/**'],
          testTimeout: 60_000,
          hookTimeout: 120_000,
          fileParallelism: false,
        },
      },
      {
        resolve,
        test: {
          name: 'e2e',
          sequence: { groupOrder: 2 },
          include: ['test/**/*.e2e.test.ts'],
          testTimeout: 120_000,
          hookTimeout: 180_000,
          // Each file starts its own platform (five processes and PostgreSQL): one at a time on 2 cores.
          fileParallelism: false,
        },
      },
    ],
  },
});
