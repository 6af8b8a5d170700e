/** Models, versions and aliases through the registry's GraphQL API on embedded PostgreSQL. */
import type { Caller } from '@lab/shared';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type CatalogRegistry, startCatalogRegistry } from '../../testing/testCatalog';

let reg: CatalogRegistry;
let owner: Caller;
let editor: Caller;
let viewer: Caller;
let outsider: Caller;
let projectId: string;
let otherProjectId: string;

const REGISTER = `mutation($input: RegisterModelInput!) {
  registerModel(input: $input) { id projectId project { id } name description tags metadata latestVersion { id } createdBy { id } }
}`;
const CREATE_VERSION = `mutation($input: CreateModelVersionInput!) {
  createModelVersion(input: $input) { id version description tags metadata model { id latestVersion { version } } sourceRun { id name } }
}`;
const SET_ALIAS = `mutation($m: ID!, $a: String!, $v: Int!) { setModelAlias(modelId: $m, alias: $a, version: $v) { alias version { version } } }`;

async function register(caller: Caller, name: string, extra: Record<string, unknown> = {}, project = projectId) {
  const data = await reg.ok<{ registerModel: { id: string } }>(REGISTER, caller, {
    input: { projectId: project, name, ...extra },
  });
  return data.registerModel.id;
}

async function createVersion(caller: Caller, modelId: string, extra: Record<string, unknown> = {}) {
  const data = await reg.ok<{ createModelVersion: { id: string; version: number } }>(CREATE_VERSION, caller, {
    input: { modelId, ...extra },
  });
  return data.createModelVersion;
}

beforeAll(async () => {
  reg = await startCatalogRegistry();
  owner = await reg.user('owner');
  editor = await reg.user('editor');
  viewer = await reg.user('viewer');
  outsider = await reg.user('outsider');
  projectId = await reg.project('models', [
    [owner, 'OWNER'],
    [editor, 'EDITOR'],
    [viewer, 'VIEWER'],
  ]);
  otherProjectId = await reg.project('elsewhere', [[outsider, 'OWNER']]);
});

afterAll(async () => {
  await reg?.stop();
});

describe('registerModel', () => {
  it('registers a model with tags and metadata', async () => {
    const data = await reg.ok<{ registerModel: Record<string, unknown> }>(REGISTER, editor, {
      input: { projectId, name: 'llama-ft', description: 'fine-tuned', tags: { team: 'nlp' }, metadata: { params: 7e9 } },
    });
    expect(data.registerModel).toMatchObject({
      projectId,
      project: { id: projectId },
      name: 'llama-ft',
      description: 'fine-tuned',
      tags: { team: 'nlp' },
      metadata: { params: 7e9 },
      latestVersion: null,
      createdBy: { id: editor.id },
    });
  });

  it('answers CONFLICT on a duplicate name in the project, but allows it in another project', async () => {
    await register(editor, 'dup');
    const error = await reg.fails(REGISTER, editor, { input: { projectId, name: 'dup' } });
    expect(error.extensions?.code).toBe('CONFLICT');
    expect(error.message).toMatch(/model "dup" already exists/);
    await register(outsider, 'dup', {}, otherProjectId);
  });

  it('validates names, tags and metadata, naming the field', async () => {
    const cases: [Record<string, unknown>, RegExp][] = [
      [{ name: '' }, /^name must not be empty/],
      [{ name: '-bad' }, /^name must start with a letter or digit/],
      [{ name: 'x'.repeat(129) }, /^name must be at most 128/],
      [{ name: 'ok', tags: { 'bad key!': 'v' } }, /^tags key "bad key!"/],
      [{ name: 'ok', tags: { k: { nested: 1 } } }, /^tags\.k must be a string/],
      [{ name: 'ok', metadata: { blob: 'x'.repeat(70_000) } }, /^metadata must be at most 65536 bytes/],
      [{ name: 'ok', description: 'a\u0000b' }, /^description must not contain control characters/],
    ];
    for (const [input, message] of cases) {
      const error = await reg.fails(REGISTER, editor, { input: { projectId, ...input } });
      expect(error.extensions?.code, JSON.stringify(input)).toBe('BAD_USER_INPUT');
      expect(error.message).toMatch(message);
    }
  });

  it('answers NOT_FOUND to a non-member and FORBIDDEN to a VIEWER', async () => {
    const notFound = await reg.fails(REGISTER, outsider, { input: { projectId, name: 'nope' } });
    expect(notFound.extensions?.code).toBe('NOT_FOUND');
    const forbidden = await reg.fails(REGISTER, viewer, { input: { projectId, name: 'nope' } });
    expect(forbidden.extensions?.code).toBe('FORBIDDEN');
  });
});

describe('createModelVersion', () => {
  it('numbers 50 concurrent versions 1..50 with no gap and no duplicate', async () => {
    const modelId = await register(editor, 'concurrent');
    const created = await Promise.all(Array.from({ length: 50 }, () => createVersion(editor, modelId)));
    const numbers = created.map((v) => v.version).sort((a, b) => a - b);
    expect(numbers).toEqual(Array.from({ length: 50 }, (_, i) => i + 1));
    const rows = await reg.prisma.modelVersion.findMany({ where: { modelId }, select: { version: true } });
    expect(rows.map((r) => r.version).sort((a, b) => a - b)).toEqual(numbers);
    const model = await reg.prisma.model.findUniqueOrThrow({ where: { id: modelId } });
    expect(model.latestVersion).toBe(50);
  });

  it('links a source run of the same project and shows lineage both ways', async () => {
    const modelId = await register(editor, 'with-run');
    const runId = await reg.run(projectId, editor, 'train-1');
    const data = await reg.ok<{ createModelVersion: Record<string, unknown> }>(CREATE_VERSION, editor, {
      input: { modelId, sourceRunId: runId, description: 'v1', tags: { stage: 'dev' }, metadata: { loss: 0.1 } },
    });
    expect(data.createModelVersion).toMatchObject({
      version: 1,
      description: 'v1',
      tags: { stage: 'dev' },
      metadata: { loss: 0.1 },
      model: { id: modelId, latestVersion: { version: 1 } },
      sourceRun: { id: runId, name: 'train-1' },
    });
    const lineage = await reg.ok<{ modelVersion: { sourceRun: { producedModelVersions: { version: number }[] } } }>(
      'query($id: ID!) { modelVersion(id: $id) { sourceRun { producedModelVersions { version } } } }',
      viewer,
      { id: data.createModelVersion.id },
    );
    expect(lineage.modelVersion.sourceRun.producedModelVersions).toEqual([{ version: 1 }]);
  });

  it('refuses a source run of another project: NOT_FOUND when unreadable, BAD_USER_INPUT when readable', async () => {
    const modelId = await register(owner, 'run-checks');
    const foreignRun = await reg.run(otherProjectId, outsider);
    const hidden = await reg.fails(CREATE_VERSION, editor, { input: { modelId, sourceRunId: foreignRun } });
    expect(hidden.extensions?.code).toBe('NOT_FOUND');
    const sharedProject = await reg.project('shared', [[editor, 'VIEWER']]);
    const readableRun = await reg.run(sharedProject, editor);
    const wrong = await reg.fails(CREATE_VERSION, editor, { input: { modelId, sourceRunId: readableRun } });
    expect(wrong.extensions?.code).toBe('BAD_USER_INPUT');
    expect(wrong.message).toMatch(/sourceRunId/);
    const unknown = await reg.fails(CREATE_VERSION, editor, {
      input: { modelId, sourceRunId: '00000000-0000-4000-8000-000000000001' },
    });
    expect(unknown.extensions?.code).toBe('NOT_FOUND');
    // Nothing was issued by the failed calls: the next version is 1.
    expect((await createVersion(editor, modelId)).version).toBe(1);
  });

  it('answers NOT_FOUND for unknown models and non-members, FORBIDDEN for a VIEWER', async () => {
    const modelId = await register(editor, 'guarded');
    for (const id of ['00000000-0000-4000-8000-000000000002', 'not-a-uuid']) {
      const error = await reg.fails(CREATE_VERSION, editor, { input: { modelId: id } });
      expect(error.extensions?.code).toBe('NOT_FOUND');
    }
    expect((await reg.fails(CREATE_VERSION, outsider, { input: { modelId } })).extensions?.code).toBe('NOT_FOUND');
    expect((await reg.fails(CREATE_VERSION, viewer, { input: { modelId } })).extensions?.code).toBe('FORBIDDEN');
  });
});

describe('aliases', () => {
  it('sets, moves and deletes aliases, unique per model', async () => {
    const modelId = await register(editor, 'aliased');
    for (let i = 0; i < 3; i++) await createVersion(editor, modelId);
    await reg.ok(SET_ALIAS, editor, { m: modelId, a: 'production', v: 1 });
    await reg.ok(SET_ALIAS, editor, { m: modelId, a: 'staging', v: 1 });
    const moved = await reg.ok<{ setModelAlias: unknown }>(SET_ALIAS, editor, { m: modelId, a: 'production', v: 3 });
    expect(moved.setModelAlias).toEqual({ alias: 'production', version: { version: 3 } });
    const rows = await reg.prisma.modelAlias.findMany({ where: { modelId } });
    expect(rows).toHaveLength(2);

    const read = await reg.ok<{ model: Record<string, unknown> }>(
      `query($id: ID!) { model(id: $id) {
        aliases { alias version { version } }
        production: alias(name: "production") { version aliases }
        latest: alias(name: "latest") { version }
        missing: alias(name: "nope") { version }
        v1: version(number: 1) { version aliases }
        v9: version(number: 9) { version }
      } }`,
      viewer,
      { id: modelId },
    );
    expect(read.model).toEqual({
      aliases: [
        { alias: 'production', version: { version: 3 } },
        { alias: 'staging', version: { version: 1 } },
      ],
      production: { version: 3, aliases: ['production'] },
      latest: { version: 3 },
      missing: null,
      v1: { version: 1, aliases: ['staging'] },
      v9: null,
    });

    const deleted = await reg.ok<{ deleteModelAlias: boolean }>(
      'mutation($m: ID!) { deleteModelAlias(modelId: $m, alias: "staging") }',
      editor,
      { m: modelId },
    );
    expect(deleted.deleteModelAlias).toBe(true);
    const again = await reg.ok<{ deleteModelAlias: boolean }>(
      'mutation($m: ID!) { deleteModelAlias(modelId: $m, alias: "staging") }',
      editor,
      { m: modelId },
    );
    expect(again.deleteModelAlias).toBe(false);
  });

  it('validates the alias and the version, and checks roles', async () => {
    const modelId = await register(editor, 'alias-checks');
    await createVersion(editor, modelId);
    const cases: [Record<string, unknown>, string, RegExp][] = [
      [{ a: 'bad alias', v: 1 }, 'BAD_USER_INPUT', /^alias must start with a letter or digit/],
      [{ a: '', v: 1 }, 'BAD_USER_INPUT', /^alias must be 1 to 128/],
      [{ a: 'latest', v: 1 }, 'BAD_USER_INPUT', /reserved/],
      [{ a: 'prod', v: 0 }, 'BAD_USER_INPUT', /^version must be a positive integer/],
      [{ a: 'prod', v: 2 }, 'NOT_FOUND', /version 2 of model/],
    ];
    for (const [vars, code, message] of cases) {
      const error = await reg.fails(SET_ALIAS, editor, { m: modelId, ...vars });
      expect(error.extensions?.code, JSON.stringify(vars)).toBe(code);
      expect(error.message).toMatch(message);
    }
    expect((await reg.fails(SET_ALIAS, viewer, { m: modelId, a: 'prod', v: 1 })).extensions?.code).toBe('FORBIDDEN');
    expect((await reg.fails(SET_ALIAS, outsider, { m: modelId, a: 'prod', v: 1 })).extensions?.code).toBe('NOT_FOUND');
  });
});

describe('reading models', () => {
  it('answers NOT_FOUND for a model or version the caller cannot see', async () => {
    const modelId = await register(editor, 'secret');
    const version = await createVersion(editor, modelId);
    const model = await reg.fails('query($id: ID!) { model(id: $id) { id } }', outsider, { id: modelId });
    expect(model.extensions?.code).toBe('NOT_FOUND');
    const mv = await reg.fails('query($id: ID!) { modelVersion(id: $id) { id } }', outsider, { id: version.id });
    expect(mv.extensions?.code).toBe('NOT_FOUND');
    const entities = await reg.ok<{ _entities: unknown[] }>(
      'query($r: [_Any!]!) { _entities(representations: $r) { ... on Model { id } ... on ModelVersion { version } } }',
      outsider,
      {
        r: [
          { __typename: 'Model', id: modelId },
          { __typename: 'ModelVersion', id: version.id },
        ],
      },
    );
    expect(entities._entities).toEqual([null, null]);
    const mine = await reg.ok<{ _entities: unknown[] }>(
      'query($r: [_Any!]!) { _entities(representations: $r) { ... on Model { id } ... on ModelVersion { version } } }',
      viewer,
      {
        r: [
          { __typename: 'Model', id: modelId },
          { __typename: 'ModelVersion', id: version.id },
        ],
      },
    );
    expect(mine._entities).toEqual([{ id: modelId }, { version: 1 }]);
  });

  it('pages versions newest first with cursors and a total', async () => {
    const modelId = await register(editor, 'paged');
    for (let i = 0; i < 5; i++) await createVersion(editor, modelId);
    const query = `query($id: ID!, $after: String) { model(id: $id) { versions(first: 2, after: $after) {
      edges { node { version } cursor } pageInfo { hasNextPage endCursor } totalCount } } }`;
    const seen: number[] = [];
    let after: string | null = null;
    for (let page = 0; page < 3; page++) {
      const data: {
        model: {
          versions: {
            edges: { node: { version: number } }[];
            pageInfo: { hasNextPage: boolean; endCursor: string };
            totalCount: number;
          };
        };
      } = await reg.ok(query, viewer, { id: modelId, after });
      seen.push(...data.model.versions.edges.map((e) => e.node.version));
      expect(data.model.versions.totalCount).toBe(5);
      expect(data.model.versions.pageInfo.hasNextPage).toBe(page < 2);
      after = data.model.versions.pageInfo.endCursor;
    }
    expect(seen).toEqual([5, 4, 3, 2, 1]);
  });

  it('lists only readable models, filtered, sorted and paged', async () => {
    const project = await reg.project('listing', [[editor, 'EDITOR']]);
    await register(editor, 'alpha', { tags: { team: 'nlp', size: 'small' }, metadata: { arch: { kind: 'decoder' } } }, project);
    await register(editor, 'beta', { tags: { team: 'vision' } }, project);
    await register(editor, 'alphabet', { tags: { team: 'nlp' } }, project);
    const list = async (caller: Caller, filter: Record<string, unknown>, extra = '') =>
      (
        await reg.ok<{ models: { edges: { node: { name: string } }[]; totalCount: number } }>(
          `query($f: ModelFilter) { models(filter: $f ${extra}) { edges { node { name } } totalCount } }`,
          caller,
          { f: filter },
        )
      ).models;
    const names = (l: { edges: { node: { name: string } }[] }) => l.edges.map((e) => e.node.name);

    expect(names(await list(editor, { projectId: project }, ', orderBy: { field: NAME, direction: ASC }'))).toEqual([
      'alpha',
      'alphabet',
      'beta',
    ]);
    expect(
      names(await list(editor, { projectId: project, nameSearch: 'ALPHA' }, ', orderBy: { field: NAME, direction: ASC }')),
    ).toEqual(['alpha', 'alphabet']);
    expect(names(await list(editor, { projectId: project, tags: { team: 'nlp', size: 'small' } }))).toEqual(['alpha']);
    expect(names(await list(editor, { projectId: project, metadataContains: { arch: { kind: 'decoder' } } }))).toEqual(['alpha']);
    expect((await list(editor, { projectId: project })).totalCount).toBe(3);
    expect(
      names(await list(editor, { projectId: project, created: { from: '2000-01-01T00:00:00Z', to: '2000-01-02T00:00:00Z' } })),
    ).toEqual([]);
    // The outsider is in no shared project: sees none of these.
    expect(await list(outsider, { projectId: project })).toEqual({ edges: [], totalCount: 0 });
    const bad = await reg.fails('{ models(filter: { projectId: "nope" }) { totalCount } }', editor);
    expect(bad.extensions?.code).toBe('BAD_USER_INPUT');

    // Keyset pages by name.
    const page = `query($after: String) { models(filter: { projectId: "${project}" }, first: 1, after: $after, orderBy: { field: NAME, direction: DESC }) {
      edges { node { name } } pageInfo { endCursor hasNextPage } } }`;
    const seen: string[] = [];
    let after: string | null = null;
    for (;;) {
      const data: { models: { edges: { node: { name: string } }[]; pageInfo: { endCursor: string; hasNextPage: boolean } } } =
        await reg.ok(page, editor, { after });
      seen.push(...data.models.edges.map((e) => e.node.name));
      if (!data.models.pageInfo.hasNextPage) break;
      after = data.models.pageInfo.endCursor;
    }
    expect(seen).toEqual(['beta', 'alphabet', 'alpha']);
  });

  it('batches nested reads: statements do not grow with the number of models', async () => {
    const project = await reg.project('batching', [[editor, 'EDITOR']]);
    const query = `query($p: ID!) { models(filter: { projectId: $p }, first: 50) { edges { node {
      name createdBy { id } latestVersion { version aliases createdBy { id } model { id } }
      versions(first: 3) { edges { node { version } } }
      aliases { alias version { version } }
    } } } }`;
    const count = async () => {
      reg.statements.length = 0;
      await reg.ok(query, editor, { p: project });
      return reg.statements.length;
    };
    for (let i = 0; i < 2; i++) {
      const id = await register(editor, `b${i}`, {}, project);
      await createVersion(editor, id);
      await reg.ok(SET_ALIAS, editor, { m: id, a: 'prod', v: 1 });
    }
    const few = await count();
    for (let i = 2; i < 8; i++) {
      const id = await register(editor, `b${i}`, {}, project);
      await createVersion(editor, id);
      await createVersion(editor, id);
      await reg.ok(SET_ALIAS, editor, { m: id, a: 'prod', v: 1 });
    }
    expect(await count()).toBe(few);
  });
});

describe('models found by name', () => {
  const BY_NAME = `query($p: ID, $n: String) { model(projectId: $p, name: $n) { id name latestVersion { version } } }`;
  const BY_ALIAS = `query($p: ID, $m: String, $a: String, $v: Int) {
    modelVersion(projectId: $p, model: $m, alias: $a, version: $v) { id version model { name } }
  }`;
  let modelId: string;

  beforeAll(async () => {
    modelId = await register(editor, 'named-llama');
    await createVersion(editor, modelId);
    await createVersion(editor, modelId);
    await createVersion(editor, modelId);
    await reg.ok(SET_ALIAS, editor, { m: modelId, a: 'production', v: 2 });
  });

  it('finds a model by project and name, and the version behind an alias or number in one call', async () => {
    const model = await reg.ok<{ model: { id: string; latestVersion: { version: number } } }>(BY_NAME, viewer, {
      p: projectId,
      n: 'named-llama',
    });
    expect(model.model).toMatchObject({ id: modelId, latestVersion: { version: 3 } });
    const production = await reg.ok<{ modelVersion: { version: number; model: { name: string } } }>(BY_ALIAS, viewer, {
      p: projectId,
      m: 'named-llama',
      a: 'production',
    });
    expect(production.modelVersion).toMatchObject({ version: 2, model: { name: 'named-llama' } });
    const latest = await reg.ok<{ modelVersion: { version: number } }>(BY_ALIAS, viewer, {
      p: projectId,
      m: 'named-llama',
      a: 'latest',
    });
    expect(latest.modelVersion.version).toBe(3);
    const first = await reg.ok<{ modelVersion: { version: number } }>(BY_ALIAS, viewer, { p: projectId, m: 'named-llama', v: 1 });
    expect(first.modelVersion.version).toBe(1);
    // by id, as before
    const byId = await reg.ok<{ model: { name: string } }>('query($id: ID!) { model(id: $id) { name } }', viewer, {
      id: modelId,
    });
    expect(byId.model.name).toBe('named-llama');
  });

  it('answers NOT_FOUND for an unknown name, alias or version, and for a project the caller cannot read', async () => {
    const missing: [string, Record<string, unknown>, Caller][] = [
      [BY_NAME, { p: projectId, n: 'no-such-model' }, viewer],
      [BY_NAME, { p: projectId, n: 'named-llama' }, outsider],
      [BY_ALIAS, { p: projectId, m: 'named-llama', a: 'staging' }, viewer],
      [BY_ALIAS, { p: projectId, m: 'named-llama', v: 4 }, viewer],
      [BY_ALIAS, { p: projectId, m: 'no-such-model', a: 'production' }, viewer],
      [BY_ALIAS, { p: projectId, m: 'named-llama', a: 'production' }, outsider],
    ];
    for (const [query, variables, caller] of missing) {
      const error = await reg.fails(query, caller, variables);
      expect(error.extensions?.code, JSON.stringify(variables)).toBe('NOT_FOUND');
    }
  });

  it('refuses a lookup given too little or too much with BAD_USER_INPUT', async () => {
    const bad: [string, Record<string, unknown>][] = [
      [BY_NAME, {}],
      [BY_NAME, { p: projectId }],
      ['query($id: ID, $n: String) { model(id: $id, name: $n) { id } }', { id: modelId, n: 'named-llama' }],
      [BY_ALIAS, { p: projectId, m: 'named-llama' }],
      [BY_ALIAS, { p: projectId, m: 'named-llama', a: 'production', v: 2 }],
      [BY_ALIAS, { m: 'named-llama', a: 'production' }],
      [BY_ALIAS, { p: projectId, m: 'named-llama', v: 0 }],
      [BY_ALIAS, { p: projectId, m: 'named-llama', a: 'bad alias!' }],
    ];
    for (const [query, variables] of bad) {
      const error = await reg.fails(query, viewer, variables);
      expect(error.extensions?.code, JSON.stringify(variables)).toBe('BAD_USER_INPUT');
    }
  });

  it('looks up many names in one statement', async () => {
    const names = Array.from({ length: 6 }, (_, i) => `many-${i}`);
    for (const name of names) await register(editor, name);
    const query = (n: number) =>
      `query($p: ID) { ${names
        .slice(0, n)
        .map((name, i) => `m${i}: model(projectId: $p, name: "${name}") { name }`)
        .join(' ')} }`;
    const count = async (n: number) => {
      reg.statements.length = 0;
      const data = await reg.ok<Record<string, { name: string }>>(query(n), viewer, { p: projectId });
      expect(Object.values(data).map((m) => m.name)).toEqual(names.slice(0, n));
      return reg.statements.filter((s) => /FROM "public"\."models"/.test(s)).length;
    };
    expect(await count(2)).toBe(1);
    expect(await count(6)).toBe(1);
  });
});
