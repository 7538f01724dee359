-- DropIndex
DROP INDEX "Job_calibrationRunId_idx";

-- DropIndex
DROP INDEX "Job_campaignId_idx";

-- DropIndex
DROP INDEX "Job_executorJobId_idx";

-- AlterTable
ALTER TABLE "JobAttempt" ADD COLUMN     "cpuS" DOUBLE PRECISION,
ADD COLUMN     "inputBytes" BIGINT,
ADD COLUMN     "outputBytes" BIGINT,
ADD COLUMN     "peakRssMb" INTEGER,
ADD COLUMN     "wallS" DOUBLE PRECISION;

-- CreateIndex
CREATE INDEX "Job_executorJobId_idx" ON "Job"("executorJobId") WHERE ("executorJobId" IS NOT NULL);

-- CreateIndex
CREATE INDEX "Job_campaignId_idx" ON "Job"("campaignId") WHERE ("campaignId" IS NOT NULL);

-- CreateIndex
CREATE INDEX "Job_calibrationRunId_idx" ON "Job"("calibrationRunId") WHERE ("calibrationRunId" IS NOT NULL);
