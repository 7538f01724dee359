/**
 * What any part hands to the job engine's `createJobs` (src/services/jobs/create-jobs.ts): one logical job with its
 * idempotency key. Production steps, calibration jobs, prompt mDST and reprocessing campaigns all use this shape with
 * their own `step`; the engine submits, retries, verifies outputs and reports states the same way for all of them.
 */
export interface NewJob {
  /** unique per logical job, e.g. `hlt_skim/hlt_bhabha/e12/r101/c0`; a second create with the same key does nothing */
  idempotencyKey: string;
  step: string;
  /** sub-key within the step: skim name, calibration name, ... */
  variant?: string;
  bucketId?: number | null;
  exp?: number | null;
  run?: number | null;
  chunk?: number;
  /** argv, run without a shell */
  command: string[];
  /** input paths (an input error flags the raw files among them) */
  inputs?: string[];
  /** declared outputs: each must exist and be non-empty after exit 0, or the job failed */
  outputs?: string[];
  memoryMb?: number;
  timeLimitS?: number;
  maxAttempts?: number;
  priority?: number;
  tagChain?: string[];
  campaignId?: number | null;
  calibrationRunId?: number | null;
  /** not submitted before this time */
  notBefore?: Date | null;
}
