/** Prompt templates, their immutable gapless numbered versions and their aliases in PostgreSQL. */
import { isUuid } from '../common/validation';
import type { PrismaClient, PromptAlias, PromptTemplate, PromptVersion } from '../generated/prisma/client';
import {
  type CatalogFilter,
  type CatalogPage,
  catalogCount,
  catalogPageIds,
  inOrder,
  nextVersion,
  ordered,
  TX_OPTIONS,
} from './catalogQueries';

export type { PromptAlias, PromptTemplate, PromptVersion };

export interface NewPromptTemplate {
  projectId: string;
  name: string;
  description?: string;
  tags?: Record<string, string>;
  createdById: string;
}

export interface NewPromptVersion {
  templateId: string;
  template: string;
  variables: string[];
  commitMessage?: string;
  createdById: string;
}

function uuids(ids: readonly string[]): string[] {
  return [...new Set(ids.filter(isUuid).map((id) => id.toLowerCase()))];
}

export class PromptsStore {
  constructor(private readonly prisma: PrismaClient) {}

  createTemplate(input: NewPromptTemplate): Promise<PromptTemplate> {
    return this.prisma.promptTemplate.create({
      data: {
        projectId: input.projectId,
        name: input.name,
        description: input.description ?? '',
        tags: input.tags ?? {},
        createdById: input.createdById,
      },
    });
  }

  async templatesByIds(ids: readonly string[]): Promise<(PromptTemplate | null)[]> {
    const wanted = uuids(ids);
    const rows = wanted.length > 0 ? await this.prisma.promptTemplate.findMany({ where: { id: { in: wanted } } }) : [];
    return inOrder(ids, rows);
  }

  async listTemplates(filter: CatalogFilter, page: CatalogPage): Promise<PromptTemplate[]> {
    const ids = await catalogPageIds(this.prisma, 'prompt_templates', filter, page);
    if (ids.length === 0) return [];
    return ordered(ids, await this.prisma.promptTemplate.findMany({ where: { id: { in: ids } } }));
  }

  countTemplates(filter: CatalogFilter): Promise<number> {
    return catalogCount(this.prisma, 'prompt_templates', filter);
  }

  /**
   * The next version of a template: the UPDATE takes the template row's lock,
   * so concurrent calls queue; a failed insert rolls the bump back (no gaps).
   * Null when the template is gone.
   */
  createVersion(input: NewPromptVersion): Promise<PromptVersion | null> {
    return this.prisma.$transaction(async (tx) => {
      const version = await nextVersion(tx, 'prompt_templates', input.templateId);
      if (version === undefined) return null;
      return tx.promptVersion.create({
        data: {
          templateId: input.templateId,
          version,
          template: input.template,
          variables: input.variables,
          commitMessage: input.commitMessage ?? '',
          createdById: input.createdById,
        },
      });
    }, TX_OPTIONS);
  }

  async versionsByIds(ids: readonly string[]): Promise<(PromptVersion | null)[]> {
    const wanted = uuids(ids);
    const rows = wanted.length > 0 ? await this.prisma.promptVersion.findMany({ where: { id: { in: wanted } } }) : [];
    return inOrder(ids, rows);
  }

  /** Versions by (template id, number), in the order asked, null where missing. */
  async versionsByNumber(keys: readonly { templateId: string; version: number }[]): Promise<(PromptVersion | null)[]> {
    const valid = keys.filter((k) => isUuid(k.templateId) && Number.isInteger(k.version));
    const rows =
      valid.length > 0
        ? await this.prisma.promptVersion.findMany({
            where: { OR: valid.map((k) => ({ templateId: k.templateId.toLowerCase(), version: k.version })) },
          })
        : [];
    const byKey = new Map(rows.map((r) => [`${r.templateId}:${r.version}`, r]));
    return keys.map((k) => byKey.get(`${k.templateId.toLowerCase()}:${k.version}`) ?? null);
  }

  async aliasesByTemplates(templateIds: readonly string[]): Promise<PromptAlias[][]> {
    const wanted = uuids(templateIds);
    const rows =
      wanted.length > 0
        ? await this.prisma.promptAlias.findMany({ where: { templateId: { in: wanted } }, orderBy: { alias: 'asc' } })
        : [];
    return templateIds.map((id) => rows.filter((r) => r.templateId === id.toLowerCase()));
  }

  async aliasesByVersions(versionIds: readonly string[]): Promise<PromptAlias[][]> {
    const wanted = uuids(versionIds);
    const rows =
      wanted.length > 0
        ? await this.prisma.promptAlias.findMany({ where: { promptVersionId: { in: wanted } }, orderBy: { alias: 'asc' } })
        : [];
    return versionIds.map((id) => rows.filter((r) => r.promptVersionId === id.toLowerCase()));
  }

  setAlias(templateId: string, alias: string, promptVersionId: string): Promise<PromptAlias> {
    return this.prisma.promptAlias.upsert({
      where: { templateId_alias: { templateId, alias } },
      create: { templateId, alias, promptVersionId },
      update: { promptVersionId },
    });
  }

  async deleteAlias(templateId: string, alias: string): Promise<boolean> {
    const { count } = await this.prisma.promptAlias.deleteMany({ where: { templateId, alias } });
    return count > 0;
  }
}
