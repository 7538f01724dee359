-- DropIndex
DROP INDEX "ReprocessingCampaign_bucketId_key";

-- AlterTable
ALTER TABLE "ReprocessingCampaign" ADD COLUMN     "exp" INTEGER,
ADD COLUMN     "firstRun" INTEGER,
ADD COLUMN     "kind" TEXT NOT NULL DEFAULT 'bucket',
ADD COLUMN     "lastRun" INTEGER,
ADD COLUMN     "name" TEXT NOT NULL DEFAULT '',
ADD COLUMN     "recreatedFrom" INTEGER,
ADD COLUMN     "release" TEXT,
ADD COLUMN     "runSource" JSONB NOT NULL DEFAULT '{}',
ALTER COLUMN "bucketId" DROP NOT NULL;

-- CreateIndex
CREATE INDEX "ReprocessingCampaign_bucketId_idx" ON "ReprocessingCampaign"("bucketId");

-- Campaigns made before names existed get one, so the unique index can be built
UPDATE "ReprocessingCampaign" SET name = 'campaign_' || id WHERE name = '';

-- CreateIndex
CREATE UNIQUE INDEX "ReprocessingCampaign_name_key" ON "ReprocessingCampaign"("name") WHERE (state <> 'aborted');
