/** Prompt templates, immutable versions, aliases and rendering through the registry's GraphQL API on embedded PostgreSQL. */
import type { Caller } from '@lab/shared';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type CatalogRegistry, startCatalogRegistry } from '../../testing/testCatalog';

let reg: CatalogRegistry;
let editor: Caller;
let viewer: Caller;
let outsider: Caller;
let projectId: string;

const CREATE = `mutation($input: CreatePromptTemplateInput!) { createPromptTemplate(input: $input) { id name project { id } tags latestVersion { id } } }`;
const CREATE_VERSION = `mutation($input: CreatePromptVersionInput!) {
  createPromptVersion(input: $input) { id version template variables commitMessage promptTemplate { id latestVersion { version } } }
}`;
const SET_ALIAS = `mutation($t: ID!, $a: String!, $v: Int!) { setPromptAlias(templateId: $t, alias: $a, version: $v) { alias version { version } } }`;
const RENDER = `query($t: ID!, $v: Int, $a: String, $values: JSONObject!) {
  renderPrompt(templateId: $t, version: $v, alias: $a, values: $values) { text variables unusedValues version { version } }
}`;

async function createTemplate(caller: Caller, name: string, project = projectId) {
  const data = await reg.ok<{ createPromptTemplate: { id: string } }>(CREATE, caller, { input: { projectId: project, name } });
  return data.createPromptTemplate.id;
}

async function createVersion(caller: Caller, templateId: string, template: string, extra: Record<string, unknown> = {}) {
  const data = await reg.ok<{ createPromptVersion: { id: string; version: number; variables: string[] } }>(
    CREATE_VERSION,
    caller,
    {
      input: { templateId, template, ...extra },
    },
  );
  return data.createPromptVersion;
}

beforeAll(async () => {
  reg = await startCatalogRegistry();
  editor = await reg.user('editor');
  viewer = await reg.user('viewer');
  outsider = await reg.user('outsider');
  projectId = await reg.project('prompts', [
    [editor, 'EDITOR'],
    [viewer, 'VIEWER'],
  ]);
  await reg.project('elsewhere', [[outsider, 'OWNER']]);
});

afterAll(async () => {
  await reg?.stop();
});

describe('prompt templates', () => {
  it('creates a template; CONFLICT on a duplicate name; NOT_FOUND for non-members, FORBIDDEN for viewers', async () => {
    const data = await reg.ok<{ createPromptTemplate: Record<string, unknown> }>(CREATE, editor, {
      input: { projectId, name: 'summarise', description: 'Summaries', tags: { task: 'summary' } },
    });
    expect(data.createPromptTemplate).toMatchObject({
      name: 'summarise',
      project: { id: projectId },
      tags: { task: 'summary' },
      latestVersion: null,
    });
    expect((await reg.fails(CREATE, editor, { input: { projectId, name: 'summarise' } })).extensions?.code).toBe('CONFLICT');
    expect((await reg.fails(CREATE, outsider, { input: { projectId, name: 'x' } })).extensions?.code).toBe('NOT_FOUND');
    expect((await reg.fails(CREATE, viewer, { input: { projectId, name: 'x' } })).extensions?.code).toBe('FORBIDDEN');
  });

  it('creates versions with variables parsed from the template', async () => {
    const id = await createTemplate(editor, 'qa');
    const v1 = await createVersion(editor, id, 'Answer {{ question }} using {{context}}. {{question}}?', {
      commitMessage: 'first',
    });
    expect(v1).toMatchObject({
      version: 1,
      variables: ['question', 'context'],
      commitMessage: 'first',
      promptTemplate: { id, latestVersion: { version: 1 } },
    });
    const v2 = await createVersion(editor, id, 'Q: {{question}}', { variables: ['question'] });
    expect(v2.version).toBe(2);
  });

  it('numbers 50 concurrent versions 1..50 with no gap and no duplicate', async () => {
    const id = await createTemplate(editor, 'concurrent');
    const created = await Promise.all(Array.from({ length: 50 }, (_, i) => createVersion(editor, id, `try ${i}: {{x}}`)));
    const numbers = created.map((v) => v.version).sort((a, b) => a - b);
    expect(numbers).toEqual(Array.from({ length: 50 }, (_, i) => i + 1));
    const template = await reg.prisma.promptTemplate.findUniqueOrThrow({ where: { id } });
    expect(template.latestVersion).toBe(50);
    expect(await reg.prisma.promptVersion.count({ where: { templateId: id } })).toBe(50);
  });

  it('rejects bad template syntax and declared variables that differ from the parsed ones', async () => {
    const id = await createTemplate(editor, 'syntax');
    const cases: [Record<string, unknown>, RegExp][] = [
      [{ template: 'Hello {{name' }, /^template: unclosed "\{\{" at position 6/],
      [{ template: 'Hello {{ 1st }}' }, /^template: invalid placeholder/],
      [{ template: '{{}}' }, /^template: invalid placeholder/],
      [{ template: '' }, /^template must not be empty/],
      [{ template: '{{a}} {{b}}', variables: ['a'] }, /missing from variables: b/],
      [{ template: '{{a}}', variables: ['a', 'z'] }, /not in the template: z/],
      [{ template: '{{a}}', commitMessage: 'x'.repeat(10_001) }, /^commitMessage must be at most/],
    ];
    for (const [input, message] of cases) {
      const error = await reg.fails(CREATE_VERSION, editor, { input: { templateId: id, ...input } });
      expect(error.extensions?.code, JSON.stringify(input).slice(0, 80)).toBe('BAD_USER_INPUT');
      expect(error.message).toMatch(message);
    }
    // Nothing was issued by the failed calls.
    expect((await createVersion(editor, id, 'ok')).version).toBe(1);
    expect((await reg.fails(CREATE_VERSION, viewer, { input: { templateId: id, template: 'x' } })).extensions?.code).toBe(
      'FORBIDDEN',
    );
    expect((await reg.fails(CREATE_VERSION, outsider, { input: { templateId: id, template: 'x' } })).extensions?.code).toBe(
      'NOT_FOUND',
    );
  });

  it('sets and moves aliases, unique per template', async () => {
    const id = await createTemplate(editor, 'aliased');
    await createVersion(editor, id, 'one {{a}}');
    await createVersion(editor, id, 'two {{a}} {{b}}');
    await reg.ok(SET_ALIAS, editor, { t: id, a: 'production', v: 1 });
    const moved = await reg.ok<{ setPromptAlias: unknown }>(SET_ALIAS, editor, { t: id, a: 'production', v: 2 });
    expect(moved.setPromptAlias).toEqual({ alias: 'production', version: { version: 2 } });
    expect(await reg.prisma.promptAlias.count({ where: { templateId: id } })).toBe(1);
    const read = await reg.ok<{ promptTemplate: Record<string, unknown> }>(
      `query($id: ID!) { promptTemplate(id: $id) {
        aliases { alias version { version } }
        alias(name: "production") { version aliases }
        latestVersion { version }
        version(number: 1) { template aliases }
        versions { edges { node { version } } totalCount }
      } }`,
      viewer,
      { id },
    );
    expect(read.promptTemplate).toEqual({
      aliases: [{ alias: 'production', version: { version: 2 } }],
      alias: { version: 2, aliases: ['production'] },
      latestVersion: { version: 2 },
      version: { template: 'one {{a}}', aliases: [] },
      versions: { edges: [{ node: { version: 2 } }, { node: { version: 1 } }], totalCount: 2 },
    });
    expect((await reg.fails(SET_ALIAS, editor, { t: id, a: 'latest', v: 1 })).extensions?.code).toBe('BAD_USER_INPUT');
    expect((await reg.fails(SET_ALIAS, editor, { t: id, a: 'no way', v: 1 })).message).toMatch(/^alias/);
    expect((await reg.fails(SET_ALIAS, editor, { t: id, a: 'x', v: 3 })).extensions?.code).toBe('NOT_FOUND');
    expect((await reg.fails(SET_ALIAS, viewer, { t: id, a: 'x', v: 1 })).extensions?.code).toBe('FORBIDDEN');
    const deleted = await reg.ok<{ deletePromptAlias: boolean }>(
      'mutation($t: ID!) { deletePromptAlias(templateId: $t, alias: "production") }',
      editor,
      { t: id },
    );
    expect(deleted.deletePromptAlias).toBe(true);
  });
});

describe('rendering', () => {
  let id: string;
  beforeAll(async () => {
    id = await createTemplate(editor, 'render');
    await createVersion(editor, id, 'Hello {{name}}!');
    await createVersion(editor, id, 'Dear {{ name }}, about {{topic}}: {{ name }}');
    await reg.ok(SET_ALIAS, editor, { t: id, a: 'stable', v: 1 });
  });

  it('renders the newest version, a version by number, or by alias', async () => {
    const latest = await reg.ok<{ renderPrompt: unknown }>(RENDER, viewer, { t: id, values: { name: 'Ada', topic: 'math' } });
    expect(latest.renderPrompt).toEqual({
      text: 'Dear Ada, about math: Ada',
      variables: ['name', 'topic'],
      unusedValues: [],
      version: { version: 2 },
    });
    const byNumber = await reg.ok<{ renderPrompt: unknown }>(RENDER, viewer, {
      t: id,
      v: 1,
      values: { name: 'Ada', topic: 'x' },
    });
    expect(byNumber.renderPrompt).toEqual({
      text: 'Hello Ada!',
      variables: ['name'],
      unusedValues: ['topic'],
      version: { version: 1 },
    });
    const byAlias = await reg.ok<{ renderPrompt: { text: string } }>(RENDER, viewer, { t: id, a: 'stable', values: { name: 7 } });
    expect(byAlias.renderPrompt.text).toBe('Hello 7!');
    const field = await reg.ok<{ promptTemplate: { version: { render: { text: string } } } }>(
      'query($id: ID!) { promptTemplate(id: $id) { version(number: 1) { render(values: { name: "Bo" }) { text } } } }',
      viewer,
      { id },
    );
    expect(field.promptTemplate.version.render.text).toBe('Hello Bo!');
  });

  it('names missing variables, and refuses bad selectors', async () => {
    const missing = await reg.fails(RENDER, viewer, { t: id, values: { name: 'Ada' } });
    expect(missing).toMatchObject({
      message: 'values is missing the variables: topic',
      extensions: { code: 'BAD_USER_INPUT', missing: ['topic'] },
    });
    const both = await reg.fails(RENDER, viewer, { t: id, v: 1, a: 'stable', values: {} });
    expect(both.extensions?.code).toBe('BAD_USER_INPUT');
    expect((await reg.fails(RENDER, viewer, { t: id, v: 9, values: {} })).extensions?.code).toBe('NOT_FOUND');
    expect((await reg.fails(RENDER, viewer, { t: id, a: 'nope', values: {} })).extensions?.code).toBe('NOT_FOUND');
    expect((await reg.fails(RENDER, outsider, { t: id, values: { name: 'x', topic: 'y' } })).extensions?.code).toBe('NOT_FOUND');
  });

  it('hides templates and versions from non-members and lists only readable ones', async () => {
    const version = await reg.ok<{ promptTemplate: { latestVersion: { id: string } } }>(
      'query($id: ID!) { promptTemplate(id: $id) { latestVersion { id } } }',
      viewer,
      { id },
    );
    const vid = version.promptTemplate.latestVersion.id;
    expect((await reg.fails('query($id: ID!) { promptVersion(id: $id) { id } }', outsider, { id: vid })).extensions?.code).toBe(
      'NOT_FOUND',
    );
    expect((await reg.fails('query($id: ID!) { promptTemplate(id: $id) { id } }', outsider, { id })).extensions?.code).toBe(
      'NOT_FOUND',
    );
    const mine = await reg.ok<{ promptTemplates: { totalCount: number; edges: { node: { name: string } }[] } }>(
      `query($p: ID!) { promptTemplates(filter: { projectId: $p, nameSearch: "REND" }) { totalCount edges { node { name } } } }`,
      viewer,
      { p: projectId },
    );
    expect(mine.promptTemplates).toEqual({ totalCount: 1, edges: [{ node: { name: 'render' } }] });
    const theirs = await reg.ok<{ promptTemplates: { totalCount: number } }>(
      `query($p: ID!) { promptTemplates(filter: { projectId: $p }) { totalCount } }`,
      outsider,
      { p: projectId },
    );
    expect(theirs.promptTemplates.totalCount).toBe(0);
  });
});
