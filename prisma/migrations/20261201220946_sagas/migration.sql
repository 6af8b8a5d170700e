-- CreateEnum
CREATE TYPE "saga_status" AS ENUM ('RUNNING', 'COMPENSATING', 'SUCCEEDED', 'FAILED');

-- AlterTable
ALTER TABLE "experiments" ADD COLUMN     "deleted_at" TIMESTAMPTZ(3);

-- CreateTable
CREATE TABLE "sagas" (
    "id" UUID NOT NULL DEFAULT gen_random_uuid(),
    "kind" TEXT NOT NULL,
    "status" "saga_status" NOT NULL DEFAULT 'RUNNING',
    "step" TEXT NOT NULL,
    "input" JSONB NOT NULL,
    "state" JSONB NOT NULL DEFAULT '{}',
    "active_key" TEXT,
    "entity_type" TEXT NOT NULL,
    "entity_id" TEXT NOT NULL,
    "project_id" UUID,
    "actor_id" TEXT NOT NULL,
    "actor_kind" TEXT NOT NULL,
    "request_id" TEXT NOT NULL,
    "attempts" INTEGER NOT NULL DEFAULT 0,
    "error" TEXT,
    "next_attempt_at" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "lease_owner" TEXT,
    "lease_until" TIMESTAMPTZ(3),
    "created_at" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "updated_at" TIMESTAMPTZ(3) NOT NULL,
    "finished_at" TIMESTAMPTZ(3),

    CONSTRAINT "sagas_pkey" PRIMARY KEY ("id")
);

-- CreateIndex
CREATE UNIQUE INDEX "sagas_active_key_key" ON "sagas"("active_key");

-- CreateIndex
CREATE INDEX "sagas_status_next_attempt_at_idx" ON "sagas"("status", "next_attempt_at");

-- CreateIndex
CREATE INDEX "sagas_entity_type_entity_id_idx" ON "sagas"("entity_type", "entity_id");

-- CreateIndex
CREATE INDEX "sagas_project_id_created_at_idx" ON "sagas"("project_id", "created_at");
