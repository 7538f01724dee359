-- DropIndex
DROP INDEX "Job_state_priority_id_idx";

-- CreateIndex
CREATE INDEX "Job_claim_idx" ON "Job"("priority" DESC, "id") WHERE (state = 'created');

-- CreateIndex
CREATE INDEX "Job_in_flight_idx" ON "Job"("id") WHERE (state = ANY (ARRAY['submitted'::text, 'running'::text]));
