-- AlterTable
ALTER TABLE "Notification" ADD COLUMN     "deliveredVia" TEXT;
