/** Prompt templates: creating, numbered immutable versions, aliases, rendering, and the PromptTemplate and PromptVersion types. */
import { labError } from '@lab/shared';
import { writing } from '../../common/prismaErrors';
import type { RegistryResolvers } from '../../common/resolvers';
import { checkDescription, checkId, checkJsonObject } from '../../common/validation';
import type { RegistryContext } from '../../context';
import type { PromptAlias, PromptTemplate, PromptVersion } from '../../store/promptsStore';
import { type CatalogListArgs, catalogConnection, checkVersionNumber, LATEST_ALIAS } from '../catalog/catalog';
import { type CatalogEntityInput, createInProject, readableEntity, readableVersion, requireEntity } from '../catalog/entities';
import {
  deleteVersionAlias,
  type NumberedVersions,
  numberedVersionFields,
  setVersionAlias,
  versionByAlias,
} from '../catalog/numberedVersions';
import { checkTemplate, renderTemplate } from './template';

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

function readableTemplate(ctx: RegistryContext, id: string): Promise<PromptTemplate | null> {
  return readableEntity(ctx, id, (templateId) => ctx.loaders.promptTemplates.load(templateId));
}

function requireTemplate(ctx: RegistryContext, rawId: string, role: 'VIEWER' | 'EDITOR'): Promise<PromptTemplate> {
  return requireEntity(ctx, 'prompt template', rawId, role, (id) => ctx.loaders.promptTemplates.load(id));
}

function readablePromptVersion(ctx: RegistryContext, id: string): Promise<PromptVersion | null> {
  return readableVersion(
    ctx,
    id,
    (versionId) => ctx.loaders.promptVersions.load(versionId),
    (version) => ctx.loaders.promptTemplates.load(version.templateId),
  );
}

function versionByNumber(ctx: RegistryContext, templateId: string, version: number) {
  return ctx.loaders.promptVersionsByNumber.load({ templateId, version });
}

/** A template's numbered versions and aliases, through the request's loaders. */
const promptVersions: NumberedVersions<PromptTemplate, PromptVersion, PromptAlias> = {
  label: 'prompt template',
  requireParent: requireTemplate,
  byId: (ctx, id) => ctx.loaders.promptVersions.load(id),
  byNumber: versionByNumber,
  byNumbers: (ctx, templateId, numbers) =>
    ctx.loaders.promptVersionsByNumber.loadMany(numbers.map((version) => ({ templateId, version }))),
  aliases: (ctx, templateId) => ctx.loaders.promptAliases.load(templateId),
  versionIdOf: (alias) => alias.promptVersionId,
  setAlias: (ctx, templateId, alias, versionId) => ctx.store.prompts.setAlias(templateId, alias, versionId),
  deleteAlias: (ctx, templateId, alias) => ctx.store.prompts.deleteAlias(templateId, alias),
  clearAliases: (ctx, templateId) => {
    ctx.loaders.promptAliases.clear(templateId);
    ctx.loaders.promptVersionAliases.clearAll();
  },
};

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
        (filter, page) => ctx.store.prompts.templates.list(filter, page),
        (filter) => ctx.store.prompts.templates.count(filter),
      ),
    promptVersion: async (_p: unknown, args: { id: string }, ctx: RegistryContext) => {
      const id = checkId('prompt version', args.id);
      const version = await readablePromptVersion(ctx, id);
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
        version = await versionByAlias(promptVersions, ctx, template, alias);
        which = hasAlias ? `a version with alias "${alias}"` : 'any version';
      }
      if (!version) throw labError('NOT_FOUND', `prompt template ${template.id} has no ${which}`);
      return render(version, args.values);
    },
  },

  Mutation: {
    createPromptTemplate: async (_p: unknown, { input }: { input: CatalogEntityInput }, ctx: RegistryContext) => {
      const template = await createInProject(
        ctx,
        input,
        { label: 'prompt template', doing: 'create prompt templates' },
        () => ({}),
        (fields) => ctx.store.prompts.createTemplate(fields),
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

    setPromptAlias: (_p: unknown, args: { templateId: string; alias: string; version: number }, ctx: RegistryContext) =>
      setVersionAlias(promptVersions, ctx, { parentId: args.templateId, alias: args.alias, version: args.version }),

    deletePromptAlias: (_p: unknown, args: { templateId: string; alias: string }, ctx: RegistryContext) =>
      deleteVersionAlias(promptVersions, ctx, { parentId: args.templateId, alias: args.alias }),
  },

  PromptTemplate: {
    __resolveReference: (ref: { id: string }, ctx: RegistryContext) => readableTemplate(ctx, ref.id),
    ...numberedVersionFields(promptVersions),
    createdBy: (template: PromptTemplate, _a: unknown, ctx: RegistryContext) => ctx.loaders.users.load(template.createdById),
    project: (template: PromptTemplate, _a: unknown, ctx: RegistryContext) => ctx.loaders.projects.load(template.projectId),
  },

  PromptVersion: {
    __resolveReference: (ref: { id: string }, ctx: RegistryContext) => readablePromptVersion(ctx, ref.id),
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
