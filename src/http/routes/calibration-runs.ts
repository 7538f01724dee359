/** The calibrations of buckets: lists, one bucket's status, and planning a produced bucket by hand. */
import { z } from 'zod';
import { BucketNameSchema } from '../../services/conditions/support/schemas.ts';
import type { Deps } from '../../deps.ts';
import { AdvanceSummarySchema, BucketCalibrationsSchema, CalibrationRunSchema, PlannedBucketSchema } from '../response-schemas.ts';
import { defineRoute, type RouteTools } from '../route.ts';
import { ListCalibrationsQuerySchema, bucketCalibrationStatus, listCalibrationRuns } from '../../services/calibration/calibration-status.ts';
import { planBucketCalibrations } from '../../services/calibration/plan-bucket-calibrations.ts';
import { finaliseBucket } from '../../services/calibration/finalise-bucket-calibration.ts';
import { advanceCalibrations } from '../../services/calibration/advance-calibrations.ts';
import { findBucket } from '../../services/buckets/bucket-data.ts';

const BucketParams = z.object({ bucket: BucketNameSchema });

export function registerCalibrationRunRoutes(tools: RouteTools, deps: Deps): void {
  defineRoute(
    tools,
    { method: 'get', path: '/calibrations', tag: 'calibration', summary: 'List calibration runs (by bucket, state, calibration, detector)', auth: 'authenticated', query: ListCalibrationsQuerySchema, response: z.array(CalibrationRunSchema) },
    async ({ query }) => listCalibrationRuns(deps, query),
  );
  defineRoute(
    tools,
    {
      method: 'get',
      path: '/calibrations/buckets/:bucket',
      tag: 'calibration',
      summary: "A bucket's calibration status: stage, progress, what blocks the running update, runs with iterations and candidates",
      auth: 'authenticated',
      params: BucketParams,
      response: BucketCalibrationsSchema,
    },
    async ({ params }) => bucketCalibrationStatus(deps, params.bucket),
  );
  defineRoute(
    tools,
    {
      method: 'post',
      path: '/calibrations/buckets/:bucket/plan',
      tag: 'calibration',
      summary: 'Plan the calibrations of a produced bucket now (the calibration tick does it by itself)',
      auth: ['calibration_manager'],
      params: BucketParams,
      status: 201,
      response: PlannedBucketSchema,
    },
    async ({ params, actor }) => {
      const b = await findBucket(deps.prisma, params.bucket);
      return planBucketCalibrations(deps, params.bucket, actor!);
    },
  );
  defineRoute(
    tools,
    {
      method: 'post',
      path: '/calibrations/buckets/:bucket/advance',
      tag: 'calibration',
      summary: 'Advance the calibration loop of a bucket now (what the ticks do): follow jobs, then finalise approved payloads',
      auth: ['calibration_manager'],
      params: BucketParams,
      response: z.object({ bucket: z.string(), stage: z.string().nullable(), advanced: AdvanceSummarySchema }),
    },
    async ({ params }) => {
      const b = await findBucket(deps.prisma, params.bucket);
      const advanced = await advanceCalibrations(deps);
      const stage = await finaliseBucket(deps, params.bucket);
      return { bucket: params.bucket, stage, advanced };
    },
  );
}
