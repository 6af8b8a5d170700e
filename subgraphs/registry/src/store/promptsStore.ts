/** Prompt templates, their immutable gapless numbered versions and their aliases in PostgreSQL. */
import { isUuid } from '../common/validation';
import type { PromptAlias, PromptTemplate, PromptVersion } from '../generated/prisma/client';
import type { Tx } from './auditedStore';
import {
  type CatalogFilter,
  type CatalogPage,
  CatalogStore,
  catalogCount,
  catalogEntityData,
  catalogList,
  type NewCatalogEntity,
  nextVersion,
  rowsByIds,
  rowsByKeys,
  rowsByParents,
  TX_OPTIONS,
} from './catalogStore';

export type { PromptAlias, PromptTemplate, PromptVersion };

export type NewPromptTemplate = NewCatalogEntity;

export interface NewPromptVersion {
  templateId: string;
  template: string;
  variables: string[];
  commitMessage?: string;
  createdById: string;
}

/** An event on a template, with its project (prompt templates are not an access-check kind). */
async function templateEvent(tx: Tx, action: string, templateId: string) {
  const template = await tx.promptTemplate.findUnique({ where: { id: templateId }, select: { projectId: true } });
  return { action, entityType: 'PromptTemplate', entityId: templateId, projectId: template?.projectId ?? null };
}

export class PromptsStore extends CatalogStore {
  createTemplate(input: NewPromptTemplate): Promise<PromptTemplate> {
    return this.createAudited({ action: 'promptTemplate.create', entityType: 'PromptTemplate' }, input, (tx) =>
      tx.promptTemplate.create({ data: catalogEntityData(input) }),
    );
  }

  templatesByIds(ids: readonly string[]): Promise<(PromptTemplate | null)[]> {
    return rowsByIds(ids, (wanted) => this.prisma.promptTemplate.findMany({ where: { id: { in: wanted } } }));
  }

  listTemplates(filter: CatalogFilter, page: CatalogPage): Promise<PromptTemplate[]> {
    return catalogList(this.prisma, 'prompt_templates', filter, page, (ids) =>
      this.prisma.promptTemplate.findMany({ where: { id: { in: ids } } }),
    );
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
    return this.withAudit(async (tx, audit) => {
      const next = await nextVersion(tx, 'prompt_templates', input.templateId);
      if (next === undefined) return null;
      const { version, projectId } = next;
      const created = await tx.promptVersion.create({
        data: {
          templateId: input.templateId,
          version,
          template: input.template,
          variables: input.variables,
          commitMessage: input.commitMessage ?? '',
          createdById: input.createdById,
        },
      });
      const { createdById: _by, ...change } = input;
      audit({
        action: 'promptVersion.create',
        entityType: 'PromptVersion',
        entityId: created.id,
        projectId,
        change: { ...change, version },
      });
      return created;
    }, TX_OPTIONS);
  }

  versionsByIds(ids: readonly string[]): Promise<(PromptVersion | null)[]> {
    return rowsByIds(ids, (wanted) => this.prisma.promptVersion.findMany({ where: { id: { in: wanted } } }));
  }

  /** Versions by (template id, number), in the order asked, null where missing. */
  versionsByNumber(keys: readonly { templateId: string; version: number }[]): Promise<(PromptVersion | null)[]> {
    return rowsByKeys(keys, {
      valid: (k) => isUuid(k.templateId) && Number.isInteger(k.version),
      find: (valid) =>
        this.prisma.promptVersion.findMany({
          where: { OR: valid.map((k) => ({ templateId: k.templateId.toLowerCase(), version: k.version })) },
        }),
      keyOfRow: (r) => `${r.templateId}:${r.version}`,
      keyOf: (k) => `${k.templateId.toLowerCase()}:${k.version}`,
    });
  }

  /** Aliases of each template, by name. */
  aliasesByTemplates(templateIds: readonly string[]): Promise<PromptAlias[][]> {
    return rowsByParents(
      templateIds,
      (wanted) => this.prisma.promptAlias.findMany({ where: { templateId: { in: wanted } }, orderBy: { alias: 'asc' } }),
      (r) => r.templateId,
    );
  }

  /** Aliases pointing at each version. */
  aliasesByVersions(versionIds: readonly string[]): Promise<PromptAlias[][]> {
    return rowsByParents(
      versionIds,
      (wanted) => this.prisma.promptAlias.findMany({ where: { promptVersionId: { in: wanted } }, orderBy: { alias: 'asc' } }),
      (r) => r.promptVersionId,
    );
  }

  setAlias(templateId: string, alias: string, promptVersionId: string): Promise<PromptAlias> {
    return this.withAudit(async (tx, audit) => {
      const row = await tx.promptAlias.upsert({
        where: { templateId_alias: { templateId, alias } },
        create: { templateId, alias, promptVersionId },
        update: { promptVersionId },
      });
      audit({ ...(await templateEvent(tx, 'promptAlias.set', templateId)), change: { alias, promptVersionId } });
      return row;
    });
  }

  async deleteAlias(templateId: string, alias: string): Promise<boolean> {
    return this.withAudit(async (tx, audit) => {
      const { count } = await tx.promptAlias.deleteMany({ where: { templateId, alias } });
      if (count > 0) audit({ ...(await templateEvent(tx, 'promptAlias.delete', templateId)), change: { alias } });
      return count > 0;
    });
  }
}
