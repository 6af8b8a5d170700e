/** Datasets, versions, status transitions and lineage through the registry's GraphQL API on embedded PostgreSQL. */
import type { Caller } from '@lab/shared';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type CatalogRegistry, startCatalogRegistry } from '../../testing/testCatalog';

let reg: CatalogRegistry;
let editor: Caller;
let viewer: Caller;
let outsider: Caller;
let projectId: string;

const CREATE = `mutation($input: CreateDatasetInput!) { createDataset(input: $input) { id name projectId project { id } tags metadata createdBy { id } } }`;
const CREATE_VERSION = `mutation($input: CreateDatasetVersionInput!) {
  createDatasetVersion(input: $input) { id label format sizeBytes rowCount checksum schema status metadata dataset { id } }
}`;
const UPDATE_STATUS = `mutation($id: ID!, $status: DatasetVersionStatus!, $size: BigInt, $rows: BigInt, $checksum: String) {
  updateDatasetVersionStatus(id: $id, status: $status, sizeBytes: $size, rowCount: $rows, checksum: $checksum) {
    id status sizeBytes rowCount checksum
  }
}`;
const HEX = 'ab'.repeat(32);

async function createDataset(caller: Caller, name: string, extra: Record<string, unknown> = {}, project = projectId) {
  const data = await reg.ok<{ createDataset: { id: string } }>(CREATE, caller, { input: { projectId: project, name, ...extra } });
  return data.createDataset.id;
}

async function createVersion(caller: Caller, datasetId: string, label: string, extra: Record<string, unknown> = {}) {
  const data = await reg.ok<{ createDatasetVersion: Record<string, unknown> & { id: string } }>(CREATE_VERSION, caller, {
    input: { datasetId, label, format: 'parquet', ...extra },
  });
  return data.createDatasetVersion;
}

beforeAll(async () => {
  reg = await startCatalogRegistry();
  editor = await reg.user('editor');
  viewer = await reg.user('viewer');
  outsider = await reg.user('outsider');
  projectId = await reg.project('datasets', [
    [editor, 'EDITOR'],
    [viewer, 'VIEWER'],
  ]);
  await reg.project('elsewhere', [[outsider, 'OWNER']]);
});

afterAll(async () => {
  await reg?.stop();
});

describe('datasets', () => {
  it('creates a dataset; CONFLICT on a duplicate name; NOT_FOUND for non-members, FORBIDDEN for viewers', async () => {
    const data = await reg.ok<{ createDataset: Record<string, unknown> }>(CREATE, editor, {
      input: { projectId, name: 'wiki', tags: { lang: 'en' }, metadata: { source: 'dump' } },
    });
    expect(data.createDataset).toMatchObject({
      name: 'wiki',
      projectId,
      project: { id: projectId },
      tags: { lang: 'en' },
      createdBy: { id: editor.id },
    });
    expect((await reg.fails(CREATE, editor, { input: { projectId, name: 'wiki' } })).extensions?.code).toBe('CONFLICT');
    expect((await reg.fails(CREATE, outsider, { input: { projectId, name: 'x' } })).extensions?.code).toBe('NOT_FOUND');
    expect((await reg.fails(CREATE, viewer, { input: { projectId, name: 'x' } })).extensions?.code).toBe('FORBIDDEN');
    const bad = await reg.fails(CREATE, editor, { input: { projectId, name: '  ' } });
    expect(bad).toMatchObject({ message: expect.stringMatching(/^name/), extensions: { code: 'BAD_USER_INPUT' } });
  });

  it('creates PENDING versions with normalised format and checksum; CONFLICT on a duplicate label', async () => {
    const datasetId = await createDataset(editor, 'corpus');
    const version = await createVersion(editor, datasetId, 'v1', {
      format: 'JSONL',
      sizeBytes: '5000000000',
      rowCount: 12,
      checksum: HEX.toUpperCase(),
      schema: { fields: [{ name: 'text', type: 'string' }] },
      metadata: { split: 'train' },
    });
    expect(version).toMatchObject({
      label: 'v1',
      format: 'jsonl',
      sizeBytes: 5_000_000_000,
      rowCount: 12,
      checksum: `sha256:${HEX}`,
      schema: { fields: [{ name: 'text', type: 'string' }] },
      status: 'PENDING',
      metadata: { split: 'train' },
      dataset: { id: datasetId },
    });
    const dup = await reg.fails(CREATE_VERSION, editor, { input: { datasetId, label: 'v1', format: 'csv' } });
    expect(dup.extensions?.code).toBe('CONFLICT');
    // The same label in another dataset is fine.
    const other = await createDataset(editor, 'corpus-2');
    await createVersion(editor, other, 'v1');
  });

  it('validates labels, formats, checksums, sizes and JSON, naming the field', async () => {
    const datasetId = await createDataset(editor, 'checked');
    const cases: [Record<string, unknown>, RegExp][] = [
      [{ label: 'has space' }, /^label must start with a letter or digit/],
      [{ label: '' }, /^label must be 1 to 128/],
      [{ format: 'xlsx' }, /^format must be one of parquet, csv, jsonl, json, arrow, tfrecord, txt, other/],
      [{ checksum: 'md5:abc' }, /^checksum must be sha256:<64 hex digits> or 64 hex digits/],
      [{ checksum: `sha256:${HEX.slice(2)}` }, /^checksum/],
      [{ checksum: `sha256:${'g'.repeat(64)}` }, /^checksum/],
      [{ sizeBytes: -1 }, /^sizeBytes must not be negative/],
      [{ rowCount: -5 }, /^rowCount must not be negative/],
      [{ schema: { big: 'x'.repeat(70_000) } }, /^schema must be at most 65536 bytes/],
      [{ metadata: { big: 'x'.repeat(70_000) } }, /^metadata must be at most/],
    ];
    for (const [input, message] of cases) {
      const error = await reg.fails(CREATE_VERSION, editor, { input: { datasetId, label: 'ok', format: 'csv', ...input } });
      expect(error.extensions?.code, JSON.stringify(input).slice(0, 80)).toBe('BAD_USER_INPUT');
      expect(error.message).toMatch(message);
    }
    const viewerTry = await reg.fails(CREATE_VERSION, viewer, { input: { datasetId, label: 'ok', format: 'csv' } });
    expect(viewerTry.extensions?.code).toBe('FORBIDDEN');
    const outsiderTry = await reg.fails(CREATE_VERSION, outsider, { input: { datasetId, label: 'ok', format: 'csv' } });
    expect(outsiderTry.extensions?.code).toBe('NOT_FOUND');
  });

  it('moves a version PENDING → READY or FAILED once, and only from PENDING', async () => {
    const datasetId = await createDataset(editor, 'lifecycle');
    const a = await createVersion(editor, datasetId, 'a');
    const ready = await reg.ok<{ updateDatasetVersionStatus: unknown }>(UPDATE_STATUS, editor, {
      id: a.id,
      status: 'READY',
      size: 42,
      rows: 7,
      checksum: HEX,
    });
    expect(ready.updateDatasetVersionStatus).toEqual({
      id: a.id,
      status: 'READY',
      sizeBytes: 42,
      rowCount: 7,
      checksum: `sha256:${HEX}`,
    });
    const again = await reg.fails(UPDATE_STATUS, editor, { id: a.id, status: 'FAILED' });
    expect(again.extensions?.code).toBe('CONFLICT');
    expect(again.message).toMatch(/is READY/);
    const back = await reg.fails(UPDATE_STATUS, editor, { id: a.id, status: 'PENDING' });
    expect(back.extensions?.code).toBe('BAD_USER_INPUT');

    const b = await createVersion(editor, datasetId, 'b');
    expect((await reg.fails(UPDATE_STATUS, viewer, { id: b.id, status: 'FAILED' })).extensions?.code).toBe('FORBIDDEN');
    expect((await reg.fails(UPDATE_STATUS, outsider, { id: b.id, status: 'FAILED' })).extensions?.code).toBe('NOT_FOUND');
    // Two racing finishers: exactly one wins.
    const results = await Promise.all([
      reg.gql(UPDATE_STATUS, editor, { id: b.id, status: 'READY' }),
      reg.gql(UPDATE_STATUS, editor, { id: b.id, status: 'FAILED' }),
    ]);
    expect(results.filter((r) => !r.errors).length).toBe(1);
    expect(results.find((r) => r.errors)?.errors?.[0]?.extensions?.code).toBe('CONFLICT');
  });

  it('reads versions by id, by label and in pages; hides them from non-members', async () => {
    const datasetId = await createDataset(editor, 'paged');
    const ids: string[] = [];
    for (const label of ['l1', 'l2', 'l3', 'l4', 'l5']) ids.push((await createVersion(editor, datasetId, label)).id);
    const query = `query($id: ID!, $after: String) { dataset(id: $id) {
      byLabel: version(label: "l2") { id }
      none: version(label: "zzz") { id }
      versions(first: 2, after: $after) { edges { node { label } } pageInfo { hasNextPage endCursor } totalCount }
    } }`;
    const seen: string[] = [];
    let after: string | null = null;
    for (;;) {
      const data: {
        dataset: {
          byLabel: { id: string };
          none: null;
          versions: {
            edges: { node: { label: string } }[];
            pageInfo: { hasNextPage: boolean; endCursor: string };
            totalCount: number;
          };
        };
      } = await reg.ok(query, viewer, { id: datasetId, after });
      expect(data.dataset.byLabel.id).toBe(ids[1]);
      expect(data.dataset.none).toBeNull();
      expect(data.dataset.versions.totalCount).toBe(5);
      seen.push(...data.dataset.versions.edges.map((e) => e.node.label));
      if (!data.dataset.versions.pageInfo.hasNextPage) break;
      after = data.dataset.versions.pageInfo.endCursor;
    }
    expect(seen).toEqual(['l5', 'l4', 'l3', 'l2', 'l1']);

    const dv = await reg.ok<{ datasetVersion: { label: string } }>(
      'query($id: ID!) { datasetVersion(id: $id) { label } }',
      viewer,
      {
        id: ids[0],
      },
    );
    expect(dv.datasetVersion.label).toBe('l1');
    for (const q of ['query($id: ID!) { datasetVersion(id: $id) { id } }', 'query($id: ID!) { dataset(id: $id) { id } }']) {
      const error = await reg.fails(q, outsider, { id: q.includes('datasetVersion') ? ids[0] : datasetId });
      expect(error.extensions?.code).toBe('NOT_FOUND');
    }
  });

  it('lists readable datasets with filters', async () => {
    const project = await reg.project('dataset-list', [[editor, 'EDITOR']]);
    await createDataset(editor, 'images-a', { tags: { kind: 'image' }, metadata: { license: 'cc' } }, project);
    await createDataset(editor, 'texts', { tags: { kind: 'text' } }, project);
    const list = async (caller: Caller, filter: Record<string, unknown>) =>
      (
        await reg.ok<{ datasets: { edges: { node: { name: string } }[]; totalCount: number } }>(
          'query($f: DatasetFilter) { datasets(filter: $f, orderBy: { field: NAME, direction: ASC }) { edges { node { name } } totalCount } }',
          caller,
          { f: filter },
        )
      ).datasets;
    expect((await list(editor, { projectId: project })).edges.map((e) => e.node.name)).toEqual(['images-a', 'texts']);
    expect((await list(editor, { projectId: project, tags: { kind: 'text' } })).edges.map((e) => e.node.name)).toEqual(['texts']);
    expect((await list(editor, { projectId: project, metadataContains: { license: 'cc' } })).totalCount).toBe(1);
    expect((await list(editor, { projectId: project, nameSearch: 'IMAGE' })).totalCount).toBe(1);
    expect(await list(outsider, { projectId: project })).toEqual({ edges: [], totalCount: 0 });
  });

  it('shows lineage: the runs that read a version and the versions a run read', async () => {
    const datasetId = await createDataset(editor, 'lineage');
    const v = await createVersion(editor, datasetId, 'v1');
    const runId = await reg.run(projectId, editor, 'reader');
    await reg.prisma.runInput.create({ data: { runId, datasetVersionId: v.id } });
    const data = await reg.ok<{ datasetVersion: { readByRuns: { id: string; name: string; inputs: { id: string }[] }[] } }>(
      'query($id: ID!) { datasetVersion(id: $id) { readByRuns { id name inputs { id label } } } }',
      viewer,
      { id: v.id },
    );
    expect(data.datasetVersion.readByRuns).toEqual([{ id: runId, name: 'reader', inputs: [{ id: v.id, label: 'v1' }] }]);
  });
});
