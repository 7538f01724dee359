/**
 * The lifecycle of a bucket, from the first run to the end of its final reprocessing. One table for the whole loop:
 * production (issue 4) implements open → closed → producing → produced; calibration, the running update, prompt
 * processing, the fix window, blessing and reprocessing add behaviour on the stages that follow, never new tables.
 *
 * Every move is persisted compare-and-set by `transitionBucket` (src/services/buckets/transition-bucket.ts), which
 * also writes the one log line and the one audit event of the move.
 *
 * | stage | entered | what happens | left |
 * |---|---|---|---|
 * | open | created by the bucket policy when a run arrives and no bucket of its experiment is open, or by the data-production manager (`bucket create`) | new runs of the experiment are assigned to it (contiguous range from `firstRun`) | closed: the policy limit (duration, luminosity, run count, idle time) is reached, or the manager closes it |
 * | closed | policy or manager; `lastRun` is fixed | nothing yet; the production tick picks it up | producing, as soon as the production tick plans its jobs |
 * | producing | production tick | HLT skim jobs per run × file chunk × skim, then cDST jobs per run × skim, as runs become ready | produced when every planned job is final and nothing more can be planned; failed when nothing at all was produced |
 * | produced | production tick | calibration inputs (cDST) are registered; completeness is final | calibrating (calibration part); producing again when the manager resubmits jobs |
 * | calibrating | calibration part | calibration jobs in dependency order, with iterations | awaiting_approval; failed |
 * | awaiting_approval | calibration part | payload candidates wait for the calibration manager | updating when approved |
 * | updating | approval | running update of the running tag from the bucket's first run | snapshotted; failed |
 * | snapshotted | running update done | the running tag is frozen into the bucket's snapshot tag | prompt_processing |
 * | prompt_processing | snapshot | prompt mDST jobs with the snapshot | fix_window; failed |
 * | fix_window | prompt processing done | 48 h in which detector experts upload fixes (stored deadline, settled by a tick) | awaiting_blessing when the window closes |
 * | awaiting_blessing | window closed | the final tag is assembled and waits for the calibration manager | blessed |
 * | blessed | calibration manager | the final tag is published | reprocessing, launched by the data-production manager |
 * | reprocessing | data-production manager | the final mDST reprocessing campaign runs | done; failed |
 * | done | reprocessing finished | nothing; the bucket is history | — |
 * | failed | a working stage gave up (the reason is in `data.failure`) | waits for a manager | back to the stage it failed in (`data.failedFrom`), by the data-production manager (production, reprocessing) or the calibration manager (calibration stages) |
 *
 * Bucket names are `e<exp>_bucket<seq>` with `seq` counting the experiment's buckets from 1 (`e12_bucket7`).
 */
import { defineLifecycle, type StateOf } from './lifecycle.ts';

export const bucketLifecycle = defineLifecycle('bucket', {
  open: ['closed'],
  closed: ['producing'],
  producing: ['produced', 'failed'],
  produced: ['calibrating', 'producing'],
  calibrating: ['awaiting_approval', 'failed'],
  awaiting_approval: ['updating', 'calibrating'],
  updating: ['snapshotted', 'failed'],
  snapshotted: ['prompt_processing'],
  prompt_processing: ['fix_window', 'failed'],
  fix_window: ['awaiting_blessing'],
  awaiting_blessing: ['blessed'],
  blessed: ['reprocessing'],
  reprocessing: ['done', 'failed'],
  done: [],
  failed: ['producing', 'calibrating', 'updating', 'prompt_processing', 'reprocessing'],
});
export type BucketStage = StateOf<typeof bucketLifecycle>;

/** Stages in which work runs and can give up; each may move to `failed` and be brought back to itself. */
export const WORKING_STAGES: readonly BucketStage[] = bucketLifecycle.transitions.failed;

/** Stages after which production data of the bucket no longer changes by itself. */
export const PRODUCTION_DONE_STAGES: readonly BucketStage[] = bucketLifecycle.list.filter(
  (s) => !['open', 'closed', 'producing'].includes(s),
);

export const BUCKET_NAME_RE = /^e(\d+)_bucket(\d+)$/;

export function bucketName(exp: number, seq: number): string {
  return `e${exp}_bucket${seq}`;
}
