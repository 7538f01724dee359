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

-- Foreign keys for the id columns that had none: the row an id names exists.
ALTER TABLE "Job" ADD CONSTRAINT "Job_calibrationRunId_fkey" FOREIGN KEY ("calibrationRunId") REFERENCES "CalibrationRun"("id") ON DELETE SET NULL ON UPDATE CASCADE;
ALTER TABLE "OutputFile" ADD CONSTRAINT "OutputFile_bucketId_fkey" FOREIGN KEY ("bucketId") REFERENCES "Bucket"("id") ON DELETE SET NULL ON UPDATE CASCADE;
ALTER TABLE "AlgorithmRequest" ADD CONSTRAINT "AlgorithmRequest_bucketId_fkey" FOREIGN KEY ("bucketId") REFERENCES "Bucket"("id") ON DELETE SET NULL ON UPDATE CASCADE;
ALTER TABLE "AlgorithmRequest" ADD CONSTRAINT "AlgorithmRequest_calibrationRunId_fkey" FOREIGN KEY ("calibrationRunId") REFERENCES "CalibrationRun"("id") ON DELETE SET NULL ON UPDATE CASCADE;
ALTER TABLE "CalibrationRun" ADD CONSTRAINT "CalibrationRun_bucketId_fkey" FOREIGN KEY ("bucketId") REFERENCES "Bucket"("id") ON DELETE RESTRICT ON UPDATE CASCADE;
ALTER TABLE "CalibrationRun" ADD CONSTRAINT "CalibrationRun_requestId_fkey" FOREIGN KEY ("requestId") REFERENCES "AlgorithmRequest"("id") ON DELETE SET NULL ON UPDATE CASCADE;
ALTER TABLE "CalibrationIteration" ADD CONSTRAINT "CalibrationIteration_jobId_fkey" FOREIGN KEY ("jobId") REFERENCES "Job"("id") ON DELETE SET NULL ON UPDATE CASCADE;
ALTER TABLE "PayloadCandidate" ADD CONSTRAINT "PayloadCandidate_bucketId_fkey" FOREIGN KEY ("bucketId") REFERENCES "Bucket"("id") ON DELETE RESTRICT ON UPDATE CASCADE;
ALTER TABLE "PayloadCandidate" ADD CONSTRAINT "PayloadCandidate_payloadId_fkey" FOREIGN KEY ("payloadId") REFERENCES "Payload"("id") ON DELETE RESTRICT ON UPDATE CASCADE;
ALTER TABLE "PayloadCandidate" ADD CONSTRAINT "PayloadCandidate_stagingIovId_fkey" FOREIGN KEY ("stagingIovId") REFERENCES "Iov"("id") ON DELETE SET NULL ON UPDATE CASCADE;
ALTER TABLE "FixWindow" ADD CONSTRAINT "FixWindow_bucketId_fkey" FOREIGN KEY ("bucketId") REFERENCES "Bucket"("id") ON DELETE RESTRICT ON UPDATE CASCADE;
ALTER TABLE "Fix" ADD CONSTRAINT "Fix_payloadId_fkey" FOREIGN KEY ("payloadId") REFERENCES "Payload"("id") ON DELETE RESTRICT ON UPDATE CASCADE;
ALTER TABLE "Fix" ADD CONSTRAINT "Fix_iovId_fkey" FOREIGN KEY ("iovId") REFERENCES "Iov"("id") ON DELETE SET NULL ON UPDATE CASCADE;
