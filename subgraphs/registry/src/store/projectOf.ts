/** Which project an entity belongs to, by kind (access checks and audit events). */
import { Prisma } from '../generated/prisma/client';

/** What may be access-checked by id; each kind belongs to exactly one project. */
export type EntityKind = 'PROJECT' | 'EXPERIMENT' | 'RUN' | 'MODEL' | 'MODEL_VERSION' | 'DATASET' | 'DATASET_VERSION';

/**
 * One query per kind: `id` → `project_id` (fixed SQL, the ids are bound as a uuid[] parameter).
 * Deleted experiments and runs have none: they are gone for access checks.
 */
export const PROJECT_OF: Record<EntityKind, Prisma.Sql> = {
  PROJECT: Prisma.sql`SELECT p.id::text AS id, p.id::text AS project_id FROM projects p WHERE p.id = ANY`,
  EXPERIMENT: Prisma.sql`SELECT e.id::text AS id, e.project_id::text AS project_id FROM experiments e
    WHERE e.deleted_at IS NULL AND e.id = ANY`,
  RUN: Prisma.sql`SELECT r.id::text AS id, e.project_id::text AS project_id
    FROM runs r JOIN experiments e ON e.id = r.experiment_id WHERE e.deleted_at IS NULL AND r.deleted_at IS NULL AND r.id = ANY`,
  MODEL: Prisma.sql`SELECT m.id::text AS id, m.project_id::text AS project_id FROM models m WHERE m.id = ANY`,
  MODEL_VERSION: Prisma.sql`SELECT v.id::text AS id, m.project_id::text AS project_id
    FROM model_versions v JOIN models m ON m.id = v.model_id WHERE v.id = ANY`,
  DATASET: Prisma.sql`SELECT d.id::text AS id, d.project_id::text AS project_id FROM datasets d WHERE d.id = ANY`,
  DATASET_VERSION: Prisma.sql`SELECT v.id::text AS id, d.project_id::text AS project_id
    FROM dataset_versions v JOIN datasets d ON d.id = v.dataset_id WHERE v.id = ANY`,
};
