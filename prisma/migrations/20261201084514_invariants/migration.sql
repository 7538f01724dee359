-- DropForeignKey
ALTER TABLE "Iov" DROP CONSTRAINT "Iov_payloadId_fkey";

-- CreateIndex
CREATE UNIQUE INDEX "Payload_id_name_revision_key" ON "Payload"("id", "name", "revision");

-- AddForeignKey
ALTER TABLE "Iov" ADD CONSTRAINT "Iov_payloadId_name_revision_fkey" FOREIGN KEY ("payloadId", "name", "revision") REFERENCES "Payload"("id", "name", "revision") ON DELETE RESTRICT ON UPDATE CASCADE;

-- At most one open bucket per experiment that is still taking runs (open-ended: no last run yet). A bucket created by
-- hand for a fixed range is inserted with its last run and closed at once, so it never counts. A partial unique index:
-- Prisma's schema cannot express it, and its diff leaves it alone.
CREATE UNIQUE INDEX "Bucket_one_open_per_exp" ON "Bucket"("exp") WHERE "stage" = 'open' AND "lastRun" IS NULL;
