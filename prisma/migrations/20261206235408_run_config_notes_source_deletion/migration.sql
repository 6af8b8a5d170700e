-- AlterTable
ALTER TABLE "runs" ADD COLUMN     "config" JSONB NOT NULL DEFAULT '{}',
ADD COLUMN     "deleted_at" TIMESTAMPTZ(3),
ADD COLUMN     "notes" TEXT NOT NULL DEFAULT '',
ADD COLUMN     "source_branch" TEXT,
ADD COLUMN     "source_commit" TEXT,
ADD COLUMN     "source_dirty" BOOLEAN,
ADD COLUMN     "source_entry_point" TEXT,
ADD COLUMN     "source_host" TEXT;

-- CreateIndex
CREATE INDEX "runs_config_idx" ON "runs" USING GIN ("config" jsonb_path_ops);

-- CreateIndex
CREATE INDEX "runs_source_commit_idx" ON "runs"("source_commit");
