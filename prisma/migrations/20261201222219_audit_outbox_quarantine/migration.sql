-- AlterTable
ALTER TABLE "audit_outbox" ADD COLUMN     "quarantine_reason" TEXT,
ADD COLUMN     "quarantined_at" TIMESTAMPTZ(3);
