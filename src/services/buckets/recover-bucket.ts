/**
 * A failed bucket goes back to the stage it failed in (`data.failedFrom`), by the manager responsible for that stage:
 * the data-production manager for production and reprocessing, the calibration manager for the calibration stages.
 */
import type { Deps } from '../../deps.ts';
import { bucketLifecycle, type BucketStage } from '../../domain/bucket-stages.ts';
import { conflict, forbidden } from '../../domain/errors.ts';
import type { Actor, Role } from '../../domain/roles.ts';
import { transitionBucket } from './transition-bucket.ts';
import { findBucket } from './bucket-data.ts';

const RESPONSIBLE: Partial<Record<BucketStage, Role>> = {
  producing: 'data_production_manager',
  reprocessing: 'data_production_manager',
  calibrating: 'calibration_manager',
  updating: 'calibration_manager',
  prompt_processing: 'data_production_manager',
};

export async function recoverBucket(deps: Deps, actor: Actor, name: string, reason: string) {
  const b = await findBucket(deps.prisma, name);
  if (b.stage !== 'failed') throw conflict(`bucket ${name} is ${b.stage}, not failed`);
  const from = (b.data as Record<string, unknown>)?.failedFrom;
  if (typeof from !== 'string' || !bucketLifecycle.is(from)) throw conflict(`bucket ${name} does not record the stage it failed in`);
  const role = RESPONSIBLE[from];
  if (!role) throw conflict(`bucket ${name} failed in ${from}, from which no role brings it back`);
  if (actor.role !== role) throw forbidden(`bringing ${name} back to ${from} is for the ${role}`);
  const moved = await transitionBucket(deps, b, from, actor, { reason: `recovered by ${actor.user}: ${reason}`, data: { failedFrom: null, failure: null } });
  if (!moved) throw conflict(`bucket ${name} changed stage meanwhile`);
  return { name, stage: from };
}
