import { mkdtemp, readFile, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { composeSupergraph, compositionProblems, placeholderUrl } from './compose';
import { renderSchemaFiles, staleFiles, writeSchemaFiles } from './files';
import { ALLOWED_HINTS, hintMatters } from './hints';
import { STORE_STATUS, standIns } from './standIns.fixture';
import { loadSubgraphs } from './subgraphs';

const LINK = `extend schema @link(url: "https://specs.apollo.dev/federation/v2.7", import: ["@key", "@shareable"])`;

describe('composition policy (on stand-in subgraphs)', () => {
  it('composes the planned subgraphs with no errors and no hints', () => {
    const result = composeSupergraph(standIns());
    expect(compositionProblems(result)).toEqual([]);
    expect(result.hints).toEqual([]);
    expect(result.supergraphSdl).toContain('type StoreStatus');
  });

  it('bakes only placeholder URLs into the supergraph: the gateway routes by name', () => {
    const sdl = composeSupergraph(standIns()).supergraphSdl as string;
    for (const name of ['registry', 'metrics', 'artifacts']) expect(sdl).toContain(placeholderUrl(name));
    expect(sdl).not.toMatch(/localhost|127\.0\.0\.1/);
  });

  it('fails on a shared type whose field type differs between subgraphs', () => {
    const metrics = `${LINK}\n${STORE_STATUS.replace('store: String!', 'store: String')}\ntype Query { metricsStatus: StoreStatus! }`;
    const problems = compositionProblems(composeSupergraph(standIns({ metrics })));
    expect(problems).toEqual([expect.stringMatching(/^hint INCONSISTENT_BUT_COMPATIBLE_FIELD_TYPE .*StoreStatus\.store/)]);
  });

  it('fails on a shared type with a field missing in one subgraph (unsatisfiable queries)', () => {
    const metrics = `${LINK}\n${STORE_STATUS.replace('latencyMs: Float!', '')}\ntype Query { metricsStatus: StoreStatus! }`;
    const problems = compositionProblems(composeSupergraph(standIns({ metrics })));
    expect(problems.join('\n')).toMatch(/^error: .*cannot be satisfied/s);
  });

  it('fails on differing descriptions of a shared field', () => {
    const described = (store: string) => STORE_STATUS.replace('store: String!', `"${store}" store: String!`);
    const metrics = `${LINK}\n${described('clickhouse')}\ntype Query { metricsStatus: StoreStatus! }`;
    const artifacts = `${LINK}\n${described('s3')}\ntype Query { artifactsStatus: StoreStatus! }`;
    const problems = compositionProblems(composeSupergraph(standIns({ metrics, artifacts })));
    expect(problems).toEqual([expect.stringMatching(/^hint INCONSISTENT_DESCRIPTION /)]);
  });

  it('reports composition errors, e.g. a field two subgraphs resolve without @shareable', () => {
    const metrics = `${LINK}\n${STORE_STATUS.replace(' @shareable', '')}\ntype Query { metricsStatus: StoreStatus! }`;
    const result = composeSupergraph(standIns({ metrics }));
    expect(result.supergraphSdl).toBeUndefined();
    expect(compositionProblems(result).join('\n')).toMatch(/^error: .*StoreStatus/);
  });

  it('allows only the hints on the documented allow-list', () => {
    for (const code of Object.keys(ALLOWED_HINTS)) expect(hintMatters(code)).toBe(false);
    for (const code of ['INCONSISTENT_DESCRIPTION', 'INCONSISTENT_ENTITY', 'IMPLICITLY_UPGRADED_FEDERATION_VERSION']) {
      expect(hintMatters(code)).toBe(true);
    }
  });
});

describe('schema files', () => {
  it('renders byte-identical files for identical input', () => {
    const once = renderSchemaFiles(composeSupergraph(standIns()));
    const twice = renderSchemaFiles(composeSupergraph(standIns()));
    expect([...once.keys()]).toEqual(['registry.graphql', 'metrics.graphql', 'artifacts.graphql', 'supergraph.graphql']);
    expect(twice).toEqual(once);
  });

  it('finds missing and changed files, and none after writing', async () => {
    const dir = await mkdtemp(path.join(os.tmpdir(), 'lab-compose-'));
    const files = renderSchemaFiles(composeSupergraph(standIns()));
    expect(await staleFiles(files, dir)).toEqual([...files.keys()]);
    await writeSchemaFiles(files, dir);
    expect(await staleFiles(files, dir)).toEqual([]);
    await writeFile(path.join(dir, 'metrics.graphql'), `${await readFile(path.join(dir, 'metrics.graphql'), 'utf8')}\n`);
    expect(await staleFiles(files, dir)).toEqual(['metrics.graphql']);
  });
});

describe('the committed schema/ folder', () => {
  it('is what the subgraphs compose to now, with no errors and no hints that matter', async () => {
    const result = composeSupergraph(await loadSubgraphs());
    expect(compositionProblems(result)).toEqual([]);
    const stale = await staleFiles(renderSchemaFiles(result));
    expect(stale, 'schema/ is stale: run npm run compose').toEqual([]);
  });
});
