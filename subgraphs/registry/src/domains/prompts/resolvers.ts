import { labError } from '@lab/shared';
import type { PageArgs } from '../../common/pagination';
import { writing } from '../../common/prismaErrors';
import type { RegistryResolvers } from '../../common/resolvers';
import { checkDescription, checkId, checkJsonObject, checkKey, checkName, checkStringMap } from '../../common/validation';
import type { RegistryContext } from '../../context';
import type { PromptAlias, PromptTemplate, PromptVersion } from '../../store/promptsStore';
import {
  type CatalogListArgs,
  canRead,
  catalogConnection,
  checkSettableAlias,
  checkVersionNumber,
  isReservedAlias,
  LATEST_ALIAS,
  versionNumberPage,
} from '../models/catalog';
import { checkTemplate, renderTemplate } from './template';

interface CreatePromptTemplateInput {
  projectId: string;
  name: string;
  description?: string | null;
  tags?: unknown;
}

interface CreatePromptVersionInput {
  templateId: string;
  template: string;
  commitMessage?: string | null;
  variables?: string[] | null;
}

interface RenderArgs {
  templateId: string;
  version?: number | null;
  alias?: string | null;
  values: unknown;
}

async function readableTemplate(ctx: RegistryContext, id: string): Promise<PromptTemplate | null> {
  const template = await ctx.loaders.promptTemplates.load(id);
  if (!template || !(await canRead(ctx, template.projectId))) return null;
  return template;
}

async function requireTemplate(ctx: RegistryContext, rawId: string, role: 'VIEWER' | 'EDITOR'): Promise<PromptTemplate> {
  const id = checkId('prompt template', rawId);
  const template = await ctx.loaders.promptTemplates.load(id);
  if (!template) throw labError('NOT_FOUND', `prompt template ${id} not found`);
  await ctx.access.require(template.projectId, role, `prompt template ${id}`);
  return template;
}

async function readableVersion(ctx: RegistryContext, id: string): Promise<PromptVersion | null> {
  const version = await ctx.loaders.promptVersions.load(id);
  if (!version) return null;
  return (await readableTemplate(ctx, version.templateId)) ? version : null;
}

function versionByNumber(ctx: RegistryContext, templateId: string, version: number) {
  return ctx.loaders.promptVersionsByNumber.load({ templateId, version });
}

async function versionByAlias(ctx: RegistryContext, template: PromptTemplate, alias: string): Promise<PromptVersion | null> {
  if (isReservedAlias(alias)) {
    return template.latestVersion > 0 ? versionByNumber(ctx, template.id, template.latestVersion) : null;
  }
  const found = (await ctx.loaders.promptAliases.load(template.id)).find((a) => a.alias === alias);
  return found ? ctx.loaders.promptVersions.load(found.promptVersionId) : null;
}

function render(version: PromptVersion, values: unknown) {
  const object = checkJsonObject('values', values) ?? {};
  const { text, unusedValues } = renderTemplate(version.template, object);
  return { text, version, variables: version.variables, unusedValues };
}

export const promptsResolvers: RegistryResolvers = {
  Query: {
    promptTemplate: (_p: unknown, args: { id: string }, ctx: RegistryContext) => requireTemplate(ctx, args.id, 'VIEWER'),
    promptTemplates: (_p: unknown, args: CatalogListArgs, ctx: RegistryContext) =>
      catalogConnection(
        ctx,
        args,
        (filter, page) => ctx.store.prompts.listTemplates(filter, page),
        (filter) => ctx.store.prompts.countTemplates(filter),
      ),
    promptVersion: async (_p: unknown, args: { id: string }, ctx: RegistryContext) => {
      const id = checkId('prompt version', args.id);
      const version = await readableVersion(ctx, id);
      if (!version) throw labError('NOT_FOUND', `prompt version ${id} not found`);
      return version;
    },
    renderPrompt: async (_p: unknown, args: RenderArgs, ctx: RegistryContext) => {
      const hasVersion = args.version !== undefined && args.version !== null;
      const hasAlias = args.alias !== undefined && args.alias !== null;
      if (hasVersion && hasAlias) {
        throw labError('BAD_USER_INPUT', 'give version or alias, not both', { field: 'alias' });
      }
      if (hasVersion) checkVersionNumber('version', args.version as number);
      checkJsonObject('values', args.values);
      const template = await requireTemplate(ctx, args.templateId, 'VIEWER');
      let version: PromptVersion | null;
      let which: string;
      if (hasVersion) {
        version = await versionByNumber(ctx, template.id, args.version as number);
        which = `version ${args.version}`;
      } else {
        const alias = hasAlias ? (args.alias as string) : LATEST_ALIAS;
        version = await versionByAlias(ctx, template, alias);
        which = hasAlias ? `a version with alias "${alias}"` : 'any version';
      }
      if (!version) throw labError('NOT_FOUND', `prompt template ${template.id} has no ${which}`);
      return render(version, args.values);
    },
  },

  Mutation: {
    createPromptTemplate: async (_p: unknown, { input }: { input: CreatePromptTemplateInput }, ctx: RegistryContext) => {
      const projectId = checkId('project', input.projectId);
      const name = checkName('name', input.name);
      const description = checkDescription('description', input.description);
      const tags = checkStringMap('tags', input.tags);
      await ctx.access.require(projectId, 'EDITOR', `project ${projectId}`);
      const createdById = ctx.access.requireUser('create prompt templates');
      const template = await writing(`prompt template "${name}"`, () =>
        ctx.store.prompts.createTemplate({ projectId, name, description, tags, createdById }),
      );
      ctx.loaders.promptTemplates.prime(template.id, template);
      return template;
    },

    createPromptVersion: async (_p: unknown, { input }: { input: CreatePromptVersionInput }, ctx: RegistryContext) => {
      const variables = checkTemplate('template', input.template, input.variables);
      const commitMessage = checkDescription('commitMessage', input.commitMessage);
      const template = await requireTemplate(ctx, input.templateId, 'EDITOR');
      const createdById = ctx.access.requireUser('create prompt versions');
      const version = await writing(`version of prompt template ${template.id}`, () =>
        ctx.store.prompts.createVersion({
          templateId: template.id,
          template: input.template,
          variables,
          commitMessage,
          createdById,
        }),
      );
      if (!version) throw labError('NOT_FOUND', `prompt template ${template.id} not found`);
      ctx.loaders.promptTemplates.clear(template.id);
      ctx.loaders.promptVersions.prime(version.id, version);
      return version;
    },

    setPromptAlias: async (_p: unknown, args: { templateId: string; alias: string; version: number }, ctx: RegistryContext) => {
      const alias = checkSettableAlias(args.alias);
      const number = checkVersionNumber('version', args.version);
      const template = await requireTemplate(ctx, args.templateId, 'EDITOR');
      const version = await versionByNumber(ctx, template.id, number);
      if (!version) throw labError('NOT_FOUND', `version ${number} of prompt template ${template.id} not found`);
      const row = await writing(`alias "${alias}"`, () => ctx.store.prompts.setAlias(template.id, alias, version.id));
      ctx.loaders.promptAliases.clear(template.id);
      ctx.loaders.promptVersionAliases.clearAll();
      return row;
    },

    deletePromptAlias: async (_p: unknown, args: { templateId: string; alias: string }, ctx: RegistryContext) => {
      const alias = checkKey('alias', args.alias);
      const template = await requireTemplate(ctx, args.templateId, 'EDITOR');
      const deleted = await ctx.store.prompts.deleteAlias(template.id, alias);
      ctx.loaders.promptAliases.clear(template.id);
      ctx.loaders.promptVersionAliases.clearAll();
      return deleted;
    },
  },

  PromptTemplate: {
    __resolveReference: (ref: { id: string }, ctx: RegistryContext) => readableTemplate(ctx, ref.id),
    latestVersion: (template: PromptTemplate, _a: unknown, ctx: RegistryContext) =>
      template.latestVersion > 0 ? versionByNumber(ctx, template.id, template.latestVersion) : null,
    version: (template: PromptTemplate, args: { number: number }, ctx: RegistryContext) =>
      Number.isInteger(args.number) && args.number >= 1 ? versionByNumber(ctx, template.id, args.number) : null,
    versions: (template: PromptTemplate, args: PageArgs, ctx: RegistryContext) =>
      versionNumberPage(template.latestVersion, args, (numbers) =>
        ctx.loaders.promptVersionsByNumber.loadMany(numbers.map((version) => ({ templateId: template.id, version }))),
      ),
    alias: (template: PromptTemplate, args: { name: string }, ctx: RegistryContext) => versionByAlias(ctx, template, args.name),
    aliases: (template: PromptTemplate, _a: unknown, ctx: RegistryContext) => ctx.loaders.promptAliases.load(template.id),
    createdBy: (template: PromptTemplate, _a: unknown, ctx: RegistryContext) => ctx.loaders.users.load(template.createdById),
    project: (template: PromptTemplate, _a: unknown, ctx: RegistryContext) => ctx.loaders.projects.load(template.projectId),
  },

  PromptVersion: {
    __resolveReference: (ref: { id: string }, ctx: RegistryContext) => readableVersion(ctx, ref.id),
    promptTemplate: (version: PromptVersion, _a: unknown, ctx: RegistryContext) =>
      ctx.loaders.promptTemplates.load(version.templateId),
    aliases: async (version: PromptVersion, _a: unknown, ctx: RegistryContext) =>
      (await ctx.loaders.promptVersionAliases.load(version.id)).map((a) => a.alias),
    render: (version: PromptVersion, args: { values: unknown }) => render(version, args.values),
    createdBy: (version: PromptVersion, _a: unknown, ctx: RegistryContext) => ctx.loaders.users.load(version.createdById),
  },

  PromptAlias: {
    version: (alias: PromptAlias, _a: unknown, ctx: RegistryContext) => ctx.loaders.promptVersions.load(alias.promptVersionId),
  },
};
