-- CreateTable
CREATE TABLE "BucketChange" (
    "bucketId" INTEGER NOT NULL,
    "seq" BIGINT NOT NULL DEFAULT 0,

    CONSTRAINT "BucketChange_pkey" PRIMARY KEY ("bucketId")
);

-- AddForeignKey
ALTER TABLE "BucketChange" ADD CONSTRAINT "BucketChange_bucketId_fkey" FOREIGN KEY ("bucketId") REFERENCES "Bucket"("id") ON DELETE CASCADE ON UPDATE CASCADE;

-- Planning proportional to change (services/production/plan-change-mark.ts): the bucket's counter moves in the same
-- transaction as anything its plan reads, so an idle production tick compares one number instead of aggregating the
-- bucket's jobs. Triggers, not service code, so that no writer (services, bulk SQL, a manager's psql) can forget it.

-- Bumps bucket `b` once per transaction: a bulk abort of 10,000 jobs writes the counter row once, not 10,000 times
-- (the transaction-local setting remembers it; a rolled-back subtransaction undoes both). A bucket being deleted in
-- this transaction (its runs and jobs set to NULL by their foreign keys) is skipped: it is no longer visible here.
CREATE FUNCTION calibloop_bucket_changed(b integer) RETURNS void LANGUAGE plpgsql AS $$
BEGIN
  IF b IS NULL OR current_setting('calibloop.bucket_changed_' || b, true) = '1' THEN
    RETURN;
  END IF;
  INSERT INTO "BucketChange" ("bucketId", "seq")
    SELECT b, 1 WHERE EXISTS (SELECT 1 FROM "Bucket" WHERE "id" = b)
    ON CONFLICT ("bucketId") DO UPDATE SET "seq" = "BucketChange"."seq" + 1;
  PERFORM set_config('calibloop.bucket_changed_' || b, '1', true);
END $$;

-- The row triggers test the transaction-local setting themselves before calling calibloop_bucket_changed: a call from
-- PL/pgSQL is a query of its own, and most rows of a bulk statement find their bucket already bumped.
CREATE FUNCTION calibloop_run_changed() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  IF TG_OP <> 'INSERT' AND current_setting('calibloop.bucket_changed_' || OLD."bucketId", true) IS DISTINCT FROM '1' THEN
    PERFORM calibloop_bucket_changed(OLD."bucketId");
  END IF;
  IF TG_OP <> 'DELETE' AND current_setting('calibloop.bucket_changed_' || NEW."bucketId", true) IS DISTINCT FROM '1' THEN
    PERFORM calibloop_bucket_changed(NEW."bucketId");
  END IF;
  RETURN NULL;
END $$;

CREATE FUNCTION calibloop_raw_file_changed() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  IF TG_OP <> 'INSERT' THEN PERFORM calibloop_bucket_changed((SELECT "bucketId" FROM "Run" WHERE "id" = OLD."runId")); END IF;
  IF TG_OP <> 'DELETE' THEN PERFORM calibloop_bucket_changed((SELECT "bucketId" FROM "Run" WHERE "id" = NEW."runId")); END IF;
  RETURN NULL;
END $$;

CREATE FUNCTION calibloop_job_changed() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  IF TG_OP = 'DELETE' THEN
    PERFORM calibloop_bucket_changed(OLD."bucketId");
    RETURN OLD;
  END IF;
  IF OLD."bucketId" IS DISTINCT FROM NEW."bucketId" THEN
    PERFORM calibloop_bucket_changed(OLD."bucketId");
  END IF;
  PERFORM calibloop_bucket_changed(NEW."bucketId");
  RETURN NEW;
END $$;

CREATE TRIGGER "Run_bucket_changed" AFTER INSERT OR UPDATE OR DELETE ON "Run"
  FOR EACH ROW EXECUTE FUNCTION calibloop_run_changed();

CREATE TRIGGER "RawFile_bucket_changed" AFTER INSERT OR UPDATE OR DELETE ON "RawFile"
  FOR EACH ROW EXECUTE FUNCTION calibloop_raw_file_changed();

-- Jobs: planning tells final from not final (src/domain/job-states.ts FINAL_JOB_STATES; test/db/bucket-change-mark
-- checks this list against it), so only a move across that line counts. Registration (INSERT) and the engine's
-- created → submitted → running moves do not call the function at all: the planner itself creates the production
-- jobs, after reading the mark, and a new job leaves its unit planned. BEFORE, not AFTER: a BEFORE trigger's WHEN is
-- evaluated (in C) row by row as the statement runs, after the rows before it have fired, so in a bulk abort of 10,000
-- jobs only the first row calls the function and the others see the bucket already bumped; an AFTER trigger queues
-- every row first. Returning the row unchanged, it never alters the update.
CREATE TRIGGER "Job_bucket_changed" BEFORE UPDATE OF "state", "bucketId" ON "Job"
  FOR EACH ROW WHEN (
    ((OLD."state" IN ('succeeded', 'failed', 'cancelled')) IS DISTINCT FROM (NEW."state" IN ('succeeded', 'failed', 'cancelled'))
      AND NEW."bucketId" IS NOT NULL AND current_setting('calibloop.bucket_changed_' || NEW."bucketId", true) IS DISTINCT FROM '1')
    OR OLD."bucketId" IS DISTINCT FROM NEW."bucketId")
  EXECUTE FUNCTION calibloop_job_changed();

CREATE TRIGGER "Job_bucket_changed_delete" BEFORE DELETE ON "Job"
  FOR EACH ROW WHEN (OLD."bucketId" IS NOT NULL AND current_setting('calibloop.bucket_changed_' || OLD."bucketId", true) IS DISTINCT FROM '1')
  EXECUTE FUNCTION calibloop_job_changed();
