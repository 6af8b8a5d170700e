// @vitest-environment node
/**
 * The committed operation types (src/gql/) match what GraphQL Code Generator
 * makes from the schema and the operations now: an operation or the schema
 * changed without `npm run codegen -w web` fails here.
 */
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { generate } from '@graphql-codegen/cli';
import { describe, expect, it } from 'vitest';
import config from '../codegen';

describe('generated operation types', () => {
  it('are up to date with schema/supergraph.graphql and the operations in src/', { timeout: 60_000 }, async () => {
    const outputs = (await generate(config, false)) as { filename: string; content: string }[];
    expect(outputs.length).toBeGreaterThan(0);
    for (const { filename, content } of outputs) {
      let committed = '';
      try {
        committed = readFileSync(filename, 'utf8');
      } catch {}
      expect(committed, `${path.relative(process.cwd(), filename)} is stale: run npm run codegen -w web`).toBe(content);
    }
  });
});
