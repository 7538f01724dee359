-- CreateSchema
CREATE SCHEMA IF NOT EXISTS "public";

-- CreateTable
CREATE TABLE "User" (
    "id" SERIAL NOT NULL,
    "name" TEXT NOT NULL,
    "roles" TEXT[],
    "detectors" TEXT[],
    "createdAt" TIMESTAMP(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,

    CONSTRAINT "User_pkey" PRIMARY KEY ("id")
);

-- CreateTable
CREATE TABLE "ApiToken" (
    "id" SERIAL NOT NULL,
    "userId" INTEGER NOT NULL,
    "tokenHash" TEXT NOT NULL,
    "role" TEXT NOT NULL,
    "label" TEXT,
    "createdAt" TIMESTAMP(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "expiresAt" TIMESTAMP(3),
    "revokedAt" TIMESTAMP(3),
    "lastUsedAt" TIMESTAMP(3),

    CONSTRAINT "ApiToken_pkey" PRIMARY KEY ("id")
);

-- CreateTable
CREATE TABLE "AuditEvent" (
    "id" BIGSERIAL NOT NULL,
    "at" TIMESTAMP(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "actor" TEXT NOT NULL,
    "role" TEXT NOT NULL,
    "action" TEXT NOT NULL,
    "targetType" TEXT NOT NULL,
    "targetId" TEXT NOT NULL,
    "summary" TEXT NOT NULL,
    "details" JSONB,

    CONSTRAINT "AuditEvent_pkey" PRIMARY KEY ("id")
);

-- CreateTable
CREATE TABLE "Payload" (
    "id" SERIAL NOT NULL,
    "name" TEXT NOT NULL,
    "revision" INTEGER NOT NULL,
    "md5" TEXT NOT NULL,
    "sha256" TEXT NOT NULL,
    "size" BIGINT NOT NULL,
    "storageKey" TEXT NOT NULL,
    "createdAt" TIMESTAMP(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "createdBy" TEXT NOT NULL,

    CONSTRAINT "Payload_pkey" PRIMARY KEY ("id")
);

-- CreateTable
CREATE TABLE "GlobalTag" (
    "id" SERIAL NOT NULL,
    "name" TEXT NOT NULL,
    "description" TEXT NOT NULL DEFAULT '',
    "type" TEXT NOT NULL,
    "state" TEXT NOT NULL,
    "fcsrExp" INTEGER,
    "fcsrRun" INTEGER,
    "version" INTEGER NOT NULL DEFAULT 0,
    "createdAt" TIMESTAMP(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "createdBy" TEXT NOT NULL,
    "updatedAt" TIMESTAMP(3) NOT NULL,

    CONSTRAINT "GlobalTag_pkey" PRIMARY KEY ("id")
);

-- CreateTable
CREATE TABLE "Iov" (
    "id" SERIAL NOT NULL,
    "tagId" INTEGER NOT NULL,
    "payloadId" INTEGER NOT NULL,
    "name" TEXT NOT NULL,
    "revision" INTEGER NOT NULL,
    "firstExp" INTEGER NOT NULL,
    "firstRun" INTEGER NOT NULL,
    "finalExp" INTEGER NOT NULL,
    "finalRun" INTEGER NOT NULL,
    "insertedAt" TIMESTAMP(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "insertedBy" TEXT NOT NULL,
    "removedAt" TIMESTAMP(3),
    "removedBy" TEXT,

    CONSTRAINT "Iov_pkey" PRIMARY KEY ("id")
);

-- CreateTable
CREATE TABLE "TagEvent" (
    "id" BIGSERIAL NOT NULL,
    "tagId" INTEGER NOT NULL,
    "at" TIMESTAMP(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "actor" TEXT NOT NULL,
    "kind" TEXT NOT NULL,
    "reason" TEXT NOT NULL DEFAULT '',
    "details" JSONB,

    CONSTRAINT "TagEvent_pkey" PRIMARY KEY ("id")
);

-- CreateTable
CREATE TABLE "Run" (
    "id" SERIAL NOT NULL,
    "exp" INTEGER NOT NULL,
    "run" INTEGER NOT NULL,
    "type" TEXT NOT NULL,
    "startTime" TIMESTAMP(3),
    "endTime" TIMESTAMP(3),
    "luminosity" DOUBLE PRECISION NOT NULL DEFAULT 0,
    "eventsOnline" BIGINT NOT NULL DEFAULT 0,
    "eventsOffline" BIGINT NOT NULL DEFAULT 0,
    "quality" JSONB NOT NULL DEFAULT '{}',
    "source" TEXT NOT NULL DEFAULT '',
    "bucketId" INTEGER,
    "lockedAt" TIMESTAMP(3),
    "flag" TEXT,
    "flagReason" TEXT,
    "flaggedAt" TIMESTAMP(3),
    "createdAt" TIMESTAMP(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "updatedAt" TIMESTAMP(3) NOT NULL,

    CONSTRAINT "Run_pkey" PRIMARY KEY ("id")
);

-- CreateTable
CREATE TABLE "RawFile" (
    "id" SERIAL NOT NULL,
    "runId" INTEGER NOT NULL,
    "path" TEXT NOT NULL,
    "status" TEXT NOT NULL,
    "size" BIGINT NOT NULL DEFAULT 0,
    "checksum" TEXT NOT NULL DEFAULT '',
    "events" INTEGER NOT NULL DEFAULT 0,
    "flaggedAt" TIMESTAMP(3),
    "flagReason" TEXT,
    "createdAt" TIMESTAMP(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "updatedAt" TIMESTAMP(3) NOT NULL,

    CONSTRAINT "RawFile_pkey" PRIMARY KEY ("id")
);

-- CreateTable
CREATE TABLE "Bucket" (
    "id" SERIAL NOT NULL,
    "name" TEXT NOT NULL,
    "exp" INTEGER NOT NULL,
    "seq" INTEGER NOT NULL,
    "firstRun" INTEGER NOT NULL,
    "lastRun" INTEGER,
    "stage" TEXT NOT NULL,
    "stageChangedAt" TIMESTAMP(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "openedAt" TIMESTAMP(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "closedAt" TIMESTAMP(3),
    "closedBy" TEXT,
    "closeReason" TEXT,
    "data" JSONB NOT NULL DEFAULT '{}',
    "createdAt" TIMESTAMP(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "updatedAt" TIMESTAMP(3) NOT NULL,

    CONSTRAINT "Bucket_pkey" PRIMARY KEY ("id")
);

-- CreateTable
CREATE TABLE "Job" (
    "id" SERIAL NOT NULL,
    "bucketId" INTEGER,
    "step" TEXT NOT NULL,
    "variant" TEXT NOT NULL DEFAULT '',
    "exp" INTEGER,
    "run" INTEGER,
    "chunk" INTEGER NOT NULL DEFAULT 0,
    "idempotencyKey" TEXT NOT NULL,
    "state" TEXT NOT NULL,
    "priority" INTEGER NOT NULL DEFAULT 0,
    "attempts" INTEGER NOT NULL DEFAULT 0,
    "maxAttempts" INTEGER NOT NULL DEFAULT 3,
    "executor" TEXT,
    "executorJobId" TEXT,
    "exitCode" INTEGER,
    "errorClass" TEXT,
    "errorMessage" TEXT,
    "endReason" TEXT,
    "tagChain" TEXT[] DEFAULT ARRAY[]::TEXT[],
    "logPath" TEXT,
    "workDir" TEXT,
    "command" JSONB NOT NULL DEFAULT '[]',
    "inputs" JSONB NOT NULL DEFAULT '[]',
    "outputs" JSONB NOT NULL DEFAULT '[]',
    "memoryMb" INTEGER NOT NULL DEFAULT 1024,
    "timeLimitS" INTEGER NOT NULL DEFAULT 3600,
    "notBefore" TIMESTAMP(3),
    "heartbeatAt" TIMESTAMP(3),
    "logSize" BIGINT,
    "submittedAt" TIMESTAMP(3),
    "startedAt" TIMESTAMP(3),
    "finishedAt" TIMESTAMP(3),
    "eventsIn" BIGINT,
    "eventsOut" BIGINT,
    "campaignId" INTEGER,
    "calibrationRunId" INTEGER,
    "createdAt" TIMESTAMP(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "updatedAt" TIMESTAMP(3) NOT NULL,

    CONSTRAINT "Job_pkey" PRIMARY KEY ("id")
);

-- CreateTable
CREATE TABLE "OutputFile" (
    "id" SERIAL NOT NULL,
    "jobId" INTEGER NOT NULL,
    "bucketId" INTEGER,
    "step" TEXT NOT NULL,
    "variant" TEXT NOT NULL DEFAULT '',
    "exp" INTEGER,
    "run" INTEGER,
    "path" TEXT NOT NULL,
    "size" BIGINT NOT NULL,
    "sha256" TEXT NOT NULL,
    "events" INTEGER NOT NULL DEFAULT 0,
    "createdAt" TIMESTAMP(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,

    CONSTRAINT "OutputFile_pkey" PRIMARY KEY ("id")
);

-- CreateTable
CREATE TABLE "JobAttempt" (
    "id" SERIAL NOT NULL,
    "jobId" INTEGER NOT NULL,
    "attempt" INTEGER NOT NULL,
    "executor" TEXT NOT NULL,
    "executorJobId" TEXT,
    "memoryMb" INTEGER NOT NULL,
    "submittedAt" TIMESTAMP(3),
    "startedAt" TIMESTAMP(3),
    "finishedAt" TIMESTAMP(3),
    "exitCode" INTEGER,
    "endReason" TEXT,
    "outcome" TEXT NOT NULL,
    "errorClass" TEXT,
    "message" TEXT,
    "decision" TEXT NOT NULL DEFAULT 'none',
    "logPath" TEXT,

    CONSTRAINT "JobAttempt_pkey" PRIMARY KEY ("id")
);

-- CreateTable
CREATE TABLE "RunSourceItem" (
    "id" SERIAL NOT NULL,
    "source" TEXT NOT NULL,
    "item" TEXT NOT NULL,
    "sha256" TEXT NOT NULL DEFAULT '',
    "size" BIGINT NOT NULL DEFAULT 0,
    "mtimeMs" DOUBLE PRECISION NOT NULL DEFAULT 0,
    "status" TEXT NOT NULL,
    "message" TEXT NOT NULL DEFAULT '',
    "problems" JSONB NOT NULL DEFAULT '[]',
    "runs" INTEGER NOT NULL DEFAULT 0,
    "cursor" TEXT,
    "processedAt" TIMESTAMP(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,

    CONSTRAINT "RunSourceItem_pkey" PRIMARY KEY ("id")
);

-- CreateTable
CREATE TABLE "AlgorithmRequest" (
    "id" SERIAL NOT NULL,
    "calibration" TEXT NOT NULL,
    "detector" TEXT NOT NULL,
    "bucketId" INTEGER,
    "firstExp" INTEGER,
    "firstRun" INTEGER,
    "lastExp" INTEGER,
    "lastRun" INTEGER,
    "expertConfig" JSONB NOT NULL DEFAULT '{}',
    "reason" TEXT NOT NULL,
    "state" TEXT NOT NULL,
    "submittedBy" TEXT NOT NULL,
    "submittedAt" TIMESTAMP(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "decidedBy" TEXT,
    "decidedAt" TIMESTAMP(3),
    "decisionComment" TEXT,
    "calibrationRunId" INTEGER,
    "updatedAt" TIMESTAMP(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,

    CONSTRAINT "AlgorithmRequest_pkey" PRIMARY KEY ("id")
);

-- CreateTable
CREATE TABLE "CalibrationRun" (
    "id" SERIAL NOT NULL,
    "key" TEXT NOT NULL,
    "bucketId" INTEGER NOT NULL,
    "calibration" TEXT NOT NULL,
    "detector" TEXT NOT NULL,
    "requestId" INTEGER,
    "exp" INTEGER NOT NULL,
    "firstRun" INTEGER NOT NULL,
    "lastRun" INTEGER,
    "state" TEXT NOT NULL,
    "stateChangedAt" TIMESTAMP(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "iteration" INTEGER NOT NULL DEFAULT 0,
    "maxIterations" INTEGER NOT NULL DEFAULT 5,
    "expertConfig" JSONB NOT NULL DEFAULT '{}',
    "tagChain" TEXT[],
    "stagingTag" TEXT,
    "inputs" JSONB NOT NULL DEFAULT '{}',
    "message" TEXT,
    "startedAt" TIMESTAMP(3),
    "finishedAt" TIMESTAMP(3),
    "createdBy" TEXT NOT NULL DEFAULT 'system',
    "createdAt" TIMESTAMP(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "updatedAt" TIMESTAMP(3) NOT NULL,

    CONSTRAINT "CalibrationRun_pkey" PRIMARY KEY ("id")
);

-- CreateTable
CREATE TABLE "CalibrationIteration" (
    "id" SERIAL NOT NULL,
    "calibrationRunId" INTEGER NOT NULL,
    "iteration" INTEGER NOT NULL,
    "outcome" TEXT,
    "jobId" INTEGER,
    "metrics" JSONB NOT NULL DEFAULT '{}',
    "payloads" JSONB NOT NULL DEFAULT '[]',
    "tagChain" TEXT[],
    "dependencyPayloads" JSONB NOT NULL DEFAULT '[]',
    "outputDir" TEXT,
    "message" TEXT,
    "startedAt" TIMESTAMP(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "finishedAt" TIMESTAMP(3),

    CONSTRAINT "CalibrationIteration_pkey" PRIMARY KEY ("id")
);

-- CreateTable
CREATE TABLE "PayloadCandidate" (
    "id" SERIAL NOT NULL,
    "bucketId" INTEGER NOT NULL,
    "calibrationRunId" INTEGER NOT NULL,
    "calibration" TEXT NOT NULL,
    "detector" TEXT NOT NULL,
    "outcome" TEXT NOT NULL DEFAULT 'converged',
    "iteration" INTEGER NOT NULL DEFAULT 0,
    "payloadId" INTEGER NOT NULL,
    "name" TEXT NOT NULL,
    "revision" INTEGER NOT NULL,
    "firstExp" INTEGER NOT NULL,
    "firstRun" INTEGER NOT NULL,
    "finalExp" INTEGER NOT NULL,
    "finalRun" INTEGER NOT NULL,
    "metrics" JSONB NOT NULL DEFAULT '{}',
    "previousRevision" INTEGER,
    "stagingIovId" INTEGER,
    "state" TEXT NOT NULL,
    "decidedBy" TEXT,
    "decidedAt" TIMESTAMP(3),
    "comment" TEXT,
    "createdAt" TIMESTAMP(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,

    CONSTRAINT "PayloadCandidate_pkey" PRIMARY KEY ("id")
);

-- CreateTable
CREATE TABLE "FixWindow" (
    "id" SERIAL NOT NULL,
    "bucketId" INTEGER NOT NULL,
    "state" TEXT NOT NULL,
    "openedAt" TIMESTAMP(3) NOT NULL,
    "deadline" TIMESTAMP(3) NOT NULL,
    "initialDeadline" TIMESTAMP(3),
    "extensions" INTEGER NOT NULL DEFAULT 0,
    "closedAt" TIMESTAMP(3),
    "closedBy" TEXT,
    "closeReason" TEXT,
    "warnedAt" TIMESTAMP(3),
    "finalTag" TEXT,

    CONSTRAINT "FixWindow_pkey" PRIMARY KEY ("id")
);

-- CreateTable
CREATE TABLE "Fix" (
    "id" SERIAL NOT NULL,
    "windowId" INTEGER NOT NULL,
    "payloadId" INTEGER NOT NULL,
    "name" TEXT NOT NULL,
    "revision" INTEGER NOT NULL,
    "detector" TEXT NOT NULL,
    "firstExp" INTEGER NOT NULL,
    "firstRun" INTEGER NOT NULL,
    "finalExp" INTEGER NOT NULL,
    "finalRun" INTEGER NOT NULL,
    "reason" TEXT NOT NULL,
    "state" TEXT NOT NULL,
    "submittedBy" TEXT NOT NULL,
    "submittedAt" TIMESTAMP(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "decidedBy" TEXT,
    "decidedAt" TIMESTAMP(3),
    "comment" TEXT,
    "iovId" INTEGER,

    CONSTRAINT "Fix_pkey" PRIMARY KEY ("id")
);

-- CreateTable
CREATE TABLE "ReprocessingCampaign" (
    "id" SERIAL NOT NULL,
    "bucketId" INTEGER NOT NULL,
    "tagName" TEXT NOT NULL,
    "tagChain" TEXT[],
    "state" TEXT NOT NULL,
    "stateChangedAt" TIMESTAMP(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "requirements" JSONB NOT NULL DEFAULT '{}',
    "runPlan" JSONB NOT NULL DEFAULT '[]',
    "createdAt" TIMESTAMP(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "createdBy" TEXT NOT NULL,
    "launchedAt" TIMESTAMP(3),
    "launchedBy" TEXT,
    "finishedAt" TIMESTAMP(3),
    "endedBy" TEXT,
    "endReason" TEXT,
    "warnedAt" TIMESTAMP(3),

    CONSTRAINT "ReprocessingCampaign_pkey" PRIMARY KEY ("id")
);

-- CreateTable
CREATE TABLE "Schedule" (
    "name" TEXT NOT NULL,
    "lastRunAt" TIMESTAMP(3),
    "lockedBy" TEXT,
    "lockedUntil" TIMESTAMP(3),
    "lastError" TEXT,

    CONSTRAINT "Schedule_pkey" PRIMARY KEY ("name")
);

-- CreateTable
CREATE TABLE "Notification" (
    "id" SERIAL NOT NULL,
    "key" TEXT NOT NULL,
    "kind" TEXT NOT NULL,
    "message" TEXT NOT NULL,
    "payload" JSONB NOT NULL DEFAULT '{}',
    "createdAt" TIMESTAMP(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "sentAt" TIMESTAMP(3),
    "error" TEXT,
    "attempts" INTEGER NOT NULL DEFAULT 0,
    "nextAttemptAt" TIMESTAMP(3),
    "abandonedAt" TIMESTAMP(3),

    CONSTRAINT "Notification_pkey" PRIMARY KEY ("id")
);

-- CreateIndex
CREATE UNIQUE INDEX "User_name_key" ON "User"("name");

-- CreateIndex
CREATE UNIQUE INDEX "ApiToken_tokenHash_key" ON "ApiToken"("tokenHash");

-- CreateIndex
CREATE INDEX "AuditEvent_at_idx" ON "AuditEvent"("at");

-- CreateIndex
CREATE INDEX "AuditEvent_targetType_targetId_idx" ON "AuditEvent"("targetType", "targetId");

-- CreateIndex
CREATE INDEX "AuditEvent_actor_idx" ON "AuditEvent"("actor");

-- CreateIndex
CREATE INDEX "AuditEvent_action_idx" ON "AuditEvent"("action");

-- CreateIndex
CREATE UNIQUE INDEX "Payload_name_revision_key" ON "Payload"("name", "revision");

-- CreateIndex
CREATE UNIQUE INDEX "Payload_name_sha256_key" ON "Payload"("name", "sha256");

-- CreateIndex
CREATE UNIQUE INDEX "GlobalTag_name_key" ON "GlobalTag"("name");

-- CreateIndex
CREATE INDEX "Iov_tagId_name_removedAt_idx" ON "Iov"("tagId", "name", "removedAt");

-- CreateIndex
CREATE INDEX "Iov_tagId_removedAt_firstExp_firstRun_idx" ON "Iov"("tagId", "removedAt", "firstExp", "firstRun");

-- CreateIndex
CREATE INDEX "Iov_tagId_insertedAt_idx" ON "Iov"("tagId", "insertedAt");

-- CreateIndex
CREATE INDEX "TagEvent_tagId_at_idx" ON "TagEvent"("tagId", "at");

-- CreateIndex
CREATE INDEX "Run_bucketId_idx" ON "Run"("bucketId");

-- CreateIndex
CREATE INDEX "Run_bucketId_exp_run_idx" ON "Run"("bucketId", "exp", "run");

-- CreateIndex
CREATE UNIQUE INDEX "Run_exp_run_key" ON "Run"("exp", "run");

-- CreateIndex
CREATE UNIQUE INDEX "RawFile_path_key" ON "RawFile"("path");

-- CreateIndex
CREATE INDEX "RawFile_runId_idx" ON "RawFile"("runId");

-- CreateIndex
CREATE UNIQUE INDEX "Bucket_name_key" ON "Bucket"("name");

-- CreateIndex
CREATE INDEX "Bucket_exp_firstRun_idx" ON "Bucket"("exp", "firstRun");

-- CreateIndex
CREATE UNIQUE INDEX "Bucket_exp_seq_key" ON "Bucket"("exp", "seq");

-- CreateIndex
CREATE UNIQUE INDEX "Job_idempotencyKey_key" ON "Job"("idempotencyKey");

-- CreateIndex
CREATE INDEX "Job_bucketId_step_state_errorClass_eventsIn_eventsOut_idx" ON "Job"("bucketId", "step", "state", "errorClass", "eventsIn", "eventsOut");

-- CreateIndex
CREATE INDEX "Job_state_priority_id_idx" ON "Job"("state", "priority" DESC, "id");

-- CreateIndex
CREATE INDEX "Job_executorJobId_idx" ON "Job"("executorJobId");

-- CreateIndex
CREATE INDEX "Job_campaignId_idx" ON "Job"("campaignId");

-- CreateIndex
CREATE INDEX "Job_calibrationRunId_idx" ON "Job"("calibrationRunId");

-- CreateIndex
CREATE INDEX "Job_exp_run_step_idx" ON "Job"("exp", "run", "step");

-- CreateIndex
CREATE UNIQUE INDEX "OutputFile_path_key" ON "OutputFile"("path");

-- CreateIndex
CREATE INDEX "OutputFile_bucketId_step_variant_idx" ON "OutputFile"("bucketId", "step", "variant");

-- CreateIndex
CREATE INDEX "OutputFile_exp_run_step_idx" ON "OutputFile"("exp", "run", "step");

-- CreateIndex
CREATE UNIQUE INDEX "JobAttempt_jobId_attempt_key" ON "JobAttempt"("jobId", "attempt");

-- CreateIndex
CREATE INDEX "RunSourceItem_source_status_idx" ON "RunSourceItem"("source", "status");

-- CreateIndex
CREATE UNIQUE INDEX "RunSourceItem_source_item_key" ON "RunSourceItem"("source", "item");

-- CreateIndex
CREATE INDEX "AlgorithmRequest_state_idx" ON "AlgorithmRequest"("state");

-- CreateIndex
CREATE INDEX "AlgorithmRequest_bucketId_idx" ON "AlgorithmRequest"("bucketId");

-- CreateIndex
CREATE INDEX "AlgorithmRequest_detector_state_idx" ON "AlgorithmRequest"("detector", "state");

-- CreateIndex
CREATE UNIQUE INDEX "CalibrationRun_key_key" ON "CalibrationRun"("key");

-- CreateIndex
CREATE INDEX "CalibrationRun_bucketId_state_idx" ON "CalibrationRun"("bucketId", "state");

-- CreateIndex
CREATE INDEX "CalibrationRun_bucketId_calibration_idx" ON "CalibrationRun"("bucketId", "calibration");

-- CreateIndex
CREATE INDEX "CalibrationRun_state_idx" ON "CalibrationRun"("state");

-- CreateIndex
CREATE UNIQUE INDEX "CalibrationIteration_calibrationRunId_iteration_key" ON "CalibrationIteration"("calibrationRunId", "iteration");

-- CreateIndex
CREATE INDEX "PayloadCandidate_bucketId_state_idx" ON "PayloadCandidate"("bucketId", "state");

-- CreateIndex
CREATE INDEX "PayloadCandidate_calibrationRunId_idx" ON "PayloadCandidate"("calibrationRunId");

-- CreateIndex
CREATE UNIQUE INDEX "PayloadCandidate_calibrationRunId_name_firstExp_firstRun_key" ON "PayloadCandidate"("calibrationRunId", "name", "firstExp", "firstRun");

-- CreateIndex
CREATE UNIQUE INDEX "FixWindow_bucketId_key" ON "FixWindow"("bucketId");

-- CreateIndex
CREATE INDEX "FixWindow_state_deadline_idx" ON "FixWindow"("state", "deadline");

-- CreateIndex
CREATE INDEX "Fix_windowId_state_idx" ON "Fix"("windowId", "state");

-- CreateIndex
CREATE UNIQUE INDEX "ReprocessingCampaign_bucketId_key" ON "ReprocessingCampaign"("bucketId");

-- CreateIndex
CREATE UNIQUE INDEX "Notification_key_key" ON "Notification"("key");

-- CreateIndex
CREATE INDEX "Notification_sentAt_abandonedAt_idx" ON "Notification"("sentAt", "abandonedAt");

-- AddForeignKey
ALTER TABLE "ApiToken" ADD CONSTRAINT "ApiToken_userId_fkey" FOREIGN KEY ("userId") REFERENCES "User"("id") ON DELETE RESTRICT ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "Iov" ADD CONSTRAINT "Iov_tagId_fkey" FOREIGN KEY ("tagId") REFERENCES "GlobalTag"("id") ON DELETE RESTRICT ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "Iov" ADD CONSTRAINT "Iov_payloadId_fkey" FOREIGN KEY ("payloadId") REFERENCES "Payload"("id") ON DELETE RESTRICT ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "TagEvent" ADD CONSTRAINT "TagEvent_tagId_fkey" FOREIGN KEY ("tagId") REFERENCES "GlobalTag"("id") ON DELETE RESTRICT ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "Run" ADD CONSTRAINT "Run_bucketId_fkey" FOREIGN KEY ("bucketId") REFERENCES "Bucket"("id") ON DELETE SET NULL ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "RawFile" ADD CONSTRAINT "RawFile_runId_fkey" FOREIGN KEY ("runId") REFERENCES "Run"("id") ON DELETE RESTRICT ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "Job" ADD CONSTRAINT "Job_bucketId_fkey" FOREIGN KEY ("bucketId") REFERENCES "Bucket"("id") ON DELETE SET NULL ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "OutputFile" ADD CONSTRAINT "OutputFile_jobId_fkey" FOREIGN KEY ("jobId") REFERENCES "Job"("id") ON DELETE RESTRICT ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "JobAttempt" ADD CONSTRAINT "JobAttempt_jobId_fkey" FOREIGN KEY ("jobId") REFERENCES "Job"("id") ON DELETE RESTRICT ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "CalibrationIteration" ADD CONSTRAINT "CalibrationIteration_calibrationRunId_fkey" FOREIGN KEY ("calibrationRunId") REFERENCES "CalibrationRun"("id") ON DELETE RESTRICT ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "PayloadCandidate" ADD CONSTRAINT "PayloadCandidate_calibrationRunId_fkey" FOREIGN KEY ("calibrationRunId") REFERENCES "CalibrationRun"("id") ON DELETE RESTRICT ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "Fix" ADD CONSTRAINT "Fix_windowId_fkey" FOREIGN KEY ("windowId") REFERENCES "FixWindow"("id") ON DELETE RESTRICT ON UPDATE CASCADE;
