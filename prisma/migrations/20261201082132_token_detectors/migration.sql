-- AlterTable
ALTER TABLE "ApiToken" ADD COLUMN     "detectors" TEXT[] DEFAULT ARRAY[]::TEXT[];

-- Tokens issued before scopes lived on the token take their user's detectors as they are now.
UPDATE "ApiToken" t SET "detectors" = u."detectors" FROM "User" u WHERE t."userId" = u."id" AND t."role" = 'detector_expert';
