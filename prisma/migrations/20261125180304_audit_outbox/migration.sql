-- CreateTable
CREATE TABLE "audit_outbox" (
    "id" UUID NOT NULL DEFAULT gen_random_uuid(),
    "occurred_at" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "actor_id" TEXT NOT NULL,
    "actor_kind" TEXT NOT NULL,
    "request_id" TEXT NOT NULL,
    "action" TEXT NOT NULL,
    "entity_type" TEXT NOT NULL,
    "entity_id" TEXT NOT NULL,
    "project_id" UUID,
    "change_digest" TEXT NOT NULL,
    "summary" JSONB NOT NULL DEFAULT '{}',
    "shipped_at" TIMESTAMPTZ(3),

    CONSTRAINT "audit_outbox_pkey" PRIMARY KEY ("id")
);

-- CreateIndex
CREATE INDEX "audit_outbox_shipped_at_occurred_at_id_idx" ON "audit_outbox"("shipped_at", "occurred_at", "id");
