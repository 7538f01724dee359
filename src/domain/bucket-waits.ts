/**
 * What a bucket in each stage waits for, and on whom: the answer of "what needs me now". `system` means a scheduled
 * tick moves it on by itself; a role means a person of that role has to act. Pure: the status service fills in counts.
 */
import type { BucketStage } from './bucket-stages.ts';
import type { Role } from './roles.ts';

export type Waiter = Role | 'system' | 'nobody';

export interface BucketWait {
  waitsFor: string;
  on: Waiter;
}

export const BUCKET_WAITS: Record<BucketStage, BucketWait> = {
  open: { waitsFor: 'more runs, until the bucket policy (or the data-production manager) closes it', on: 'system' },
  closed: { waitsFor: 'the production tick to plan its jobs', on: 'system' },
  producing: { waitsFor: 'production jobs (HLT skim, cDST)', on: 'system' },
  produced: { waitsFor: 'calibration planning', on: 'system' },
  calibrating: { waitsFor: 'calibration jobs and iterations', on: 'system' },
  awaiting_approval: { waitsFor: 'payload approval', on: 'calibration_manager' },
  updating: { waitsFor: 'the running update of the running tag', on: 'system' },
  snapshotted: { waitsFor: 'prompt processing to start', on: 'system' },
  prompt_processing: { waitsFor: 'prompt mDST jobs', on: 'system' },
  fix_window: { waitsFor: 'fixes from detector experts until the deadline', on: 'detector_expert' },
  awaiting_blessing: { waitsFor: 'blessing of the final tag', on: 'calibration_manager' },
  blessed: { waitsFor: 'the reprocessing campaign to be launched', on: 'data_production_manager' },
  reprocessing: { waitsFor: 'reprocessing jobs', on: 'system' },
  done: { waitsFor: 'nothing', on: 'nobody' },
  failed: { waitsFor: 'recovery by a manager', on: 'data_production_manager' },
};

const CALIBRATION_STAGES: readonly string[] = ['calibrating', 'awaiting_approval', 'updating', 'snapshotted', 'fix_window', 'awaiting_blessing'];

/** A failed bucket is brought back by the manager of the stage it failed in. */
export function bucketWait(stage: BucketStage, failedFrom?: string | null): BucketWait {
  if (stage !== 'failed') return BUCKET_WAITS[stage];
  const on: Role = failedFrom && CALIBRATION_STAGES.includes(failedFrom) ? 'calibration_manager' : 'data_production_manager';
  return { waitsFor: `recovery after failing in ${failedFrom ?? 'an unknown stage'}`, on };
}
