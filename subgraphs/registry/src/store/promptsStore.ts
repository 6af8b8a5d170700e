/** Prompt templates, their immutable gapless numbered versions and their aliases in PostgreSQL. */
import { isUuid } from '../common/validation';
import type { PromptAlias, PromptTemplate, PromptVersion } from '../generated/prisma/client';
import type { Tx } from './auditedStore';
import { CatalogRows, catalogEntityData, type NewCatalogEntity, rowsByIds, rowsByKeys } from './catalogStore';
import { aliasesBy, type CatalogEvent, deleted, NumberedCatalogStore, nextVersion, TX_OPTIONS } from './numberedVersions';

export type { PromptAlias, PromptTemplate, PromptVersion };

export type NewPromptTemplate = NewCatalogEntity;

export interface NewPromptVersion {
  templateId: string;
  template: string;
  variables: string[];
  commitMessage?: string;
  createdById: string;
}

/** An event on a template, with its project (prompt templates are not an ownership-check kind). */
const templateEvent =
  (action: string, templateId: string) =>
  async (tx: Tx): Promise<CatalogEvent> => {
    const template = await tx.promptTemplate.findUnique({ where: { id: templateId }, select: { projectId: true } });
    return { action, entityType: 'PromptTemplate', entityId: templateId, projectId: template?.projectId ?? null };
  };

export class PromptsStore extends NumberedCatalogStore {
  /** Templates by ids, list pages and counts. */
  readonly templates = new CatalogRows<PromptTemplate>(this.prisma, 'prompt_templates', (ids) =>
    this.prisma.promptTemplate.findMany({ where: { id: { in: ids } } }),
  );

  createTemplate(input: NewPromptTemplate): Promise<PromptTemplate> {
    const event = { action: 'promptTemplate.create', entityType: 'PromptTemplate' };
    return this.createAudited(event, input, (tx) => tx.promptTemplate.create({ data: catalogEntityData(input) }));
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

  /** Aliases of each template (`templateId`) or pointing at each version (`promptVersionId`), by name. */
  aliases(ids: readonly string[], of: 'templateId' | 'promptVersionId'): Promise<PromptAlias[][]> {
    return aliasesBy<PromptAlias>(ids, of, (where) => this.prisma.promptAlias.findMany({ where, orderBy: { alias: 'asc' } }));
  }

  setAlias(templateId: string, alias: string, promptVersionId: string): Promise<PromptAlias> {
    const key = { templateId, alias };
    return this.aliasAudited(templateEvent('promptAlias.set', templateId), { alias, promptVersionId }, (tx) =>
      tx.promptAlias.upsert({
        where: { templateId_alias: key },
        create: { ...key, promptVersionId },
        update: { promptVersionId },
      }),
    );
  }

  async deleteAlias(templateId: string, alias: string): Promise<boolean> {
    const write = (tx: Tx) => tx.promptAlias.deleteMany({ where: { templateId, alias } });
    return deleted(await this.aliasAudited(templateEvent('promptAlias.delete', templateId), { alias }, write, deleted));
  }
}
