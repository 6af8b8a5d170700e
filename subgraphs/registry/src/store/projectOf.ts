/** Which project an entity belongs to, and its parent, by kind (ownership checks and audit events). */
import { Prisma } from '../generated/prisma/client';

/** What may be access-checked by id; each kind belongs to exactly one project. */
export type EntityKind = 'PROJECT' | 'EXPERIMENT' | 'RUN' | 'MODEL' | 'MODEL_VERSION' | 'DATASET' | 'DATASET_VERSION';

/** Where an entity belongs: its project, and its parent (null for a project). */
export interface EntityOwner {
  projectId: string;
  parentId: string | null;
}

/**
 * One query per kind: `id` → `project_id` and `parent_id` (fixed SQL, the ids are bound as a uuid[] parameter).
 * The parent is what the entity hangs on: a run's experiment, a version's model or dataset, the project of an
 * experiment, model or dataset; none for a project. Deleted experiments and runs have no row: they are gone for
 * ownership checks.
 */
export const PROJECT_OF: Record<EntityKind, Prisma.Sql> = {
  PROJECT: Prisma.sql`SELECT p.id::text AS id, p.id::text AS project_id, NULL::text AS parent_id FROM projects p WHERE p.id = ANY`,
  EXPERIMENT: Prisma.sql`SELECT e.id::text AS id, e.project_id::text AS project_id, e.project_id::text AS parent_id FROM experiments e
    WHERE e.deleted_at IS NULL AND e.id = ANY`,
  RUN: Prisma.sql`SELECT r.id::text AS id, e.project_id::text AS project_id, r.experiment_id::text AS parent_id
    FROM runs r JOIN experiments e ON e.id = r.experiment_id WHERE e.deleted_at IS NULL AND r.deleted_at IS NULL AND r.id = ANY`,
  MODEL: Prisma.sql`SELECT m.id::text AS id, m.project_id::text AS project_id, m.project_id::text AS parent_id FROM models m WHERE m.id = ANY`,
  MODEL_VERSION: Prisma.sql`SELECT v.id::text AS id, m.project_id::text AS project_id, v.model_id::text AS parent_id
    FROM model_versions v JOIN models m ON m.id = v.model_id WHERE v.id = ANY`,
  DATASET: Prisma.sql`SELECT d.id::text AS id, d.project_id::text AS project_id, d.project_id::text AS parent_id FROM datasets d WHERE d.id = ANY`,
  DATASET_VERSION: Prisma.sql`SELECT v.id::text AS id, d.project_id::text AS project_id, v.dataset_id::text AS parent_id
    FROM dataset_versions v JOIN datasets d ON d.id = v.dataset_id WHERE v.id = ANY`,
};
