-- DropIndex
DROP INDEX "Job_bucketId_step_state_errorClass_eventsIn_eventsOut_idx";

-- DropIndex
DROP INDEX "Job_exp_run_step_idx";

-- CreateIndex
CREATE INDEX "Job_bucket_run_idx" ON "Job"("bucketId", "exp", "run", "step", "state", "errorClass", "eventsIn", "eventsOut");

-- CreateIndex
CREATE INDEX "Job_pending_idx" ON "Job"("bucketId", "step") WHERE (state = ANY (ARRAY['created'::text, 'submitted'::text, 'running'::text, 'held'::text]));
