/** Prompt templates, their immutable gapless numbered versions and their aliases in PostgreSQL. */
import { isUuid } from '../common/validation';
import type { PromptAlias, PromptTemplate, PromptVersion } from '../generated/prisma/client';
import { AuditedStore, type Tx } from './auditedStore';
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

/** An event on a template, with its project (prompt templates are not an access-check kind). */
async function templateEvent(tx: Tx, action: string, templateId: string) {
  const template = await tx.promptTemplate.findUnique({ where: { id: templateId }, select: { projectId: true } });
  return { action, entityType: 'PromptTemplate', entityId: templateId, projectId: template?.projectId ?? null };
}

export class PromptsStore extends AuditedStore {
  createTemplate(input: NewPromptTemplate): Promise<PromptTemplate> {
    return this.withAudit(async (tx, audit) => {
      const template = await tx.promptTemplate.create({
        data: {
          projectId: input.projectId,
          name: input.name,
          description: input.description ?? '',
          tags: input.tags ?? {},
          createdById: input.createdById,
        },
      });
      const { createdById: _by, ...change } = input;
      audit({
        action: 'promptTemplate.create',
        entityType: 'PromptTemplate',
        entityId: template.id,
        projectId: template.projectId,
        change,
      });
      return template;
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
