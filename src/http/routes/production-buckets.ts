/**
 * Buckets: list, show, create, close, recover, progress and completeness. Reads need any token; changes are for the
 * data-production manager (recovering a bucket that failed in a calibration stage is the calibration
 * manager's, checked by the service).
 */
import { z } from 'zod';
import { MAX_EXP } from '../../domain/iov.ts';
import { textInt, textList } from '../../domain/strict-input.ts';
import { BucketNameSchema } from '../../services/conditions/support/schemas.ts';
import type { Deps } from '../../deps.ts';
import { CreatedBucketSchema, BucketCompletenessSchema, BucketDetailSchema, BucketProgressSchema, BucketStageChangeSchema, BucketSummarySchema } from '../response-schemas.ts';
import { defineRoute, type RouteTools } from '../route.ts';
import { bucketLifecycle } from '../../domain/bucket-stages.ts';
import { createBucket, CreateBucketSchema } from '../../services/buckets/create-bucket.ts';
import { closeBucket, CloseBucketSchema } from '../../services/buckets/close-bucket.ts';
import { recoverBucket } from '../../services/buckets/recover-bucket.ts';
import { listBuckets, showBucket } from '../../services/buckets/query-buckets.ts';
import { bucketProgress } from '../../services/production/progress.ts';
import { bucketCompleteness } from '../../services/production/completeness.ts';

const MANAGERS = ['data_production_manager'] as const;
const Name = z.object({ name: BucketNameSchema });

export function registerProductionBucketRoutes(tools: RouteTools, deps: Deps): void {
  defineRoute(
    tools,
    {
      method: 'get',
      path: '/buckets',
      tag: 'buckets',
      summary: 'List buckets with run and job counts',
      auth: 'authenticated',
      query: z.object({
        exp: textInt(0, MAX_EXP).optional(),
        stage: textList(z.enum(bucketLifecycle.list as [string, ...string[]])).optional(),
      }),
      response: z.array(BucketSummarySchema),
    },
    async ({ query }) => listBuckets(deps, query),
  );
  defineRoute(
    tools,
    { method: 'post', path: '/buckets', tag: 'buckets', summary: 'Create a bucket for a run range (closed at once when lastRun is given)', auth: MANAGERS, body: CreateBucketSchema, status: 201, response: CreatedBucketSchema },
    async ({ body, actor }) => createBucket(deps, actor!, body),
  );
  defineRoute(
    tools,
    { method: 'get', path: '/buckets/:name', tag: 'buckets', summary: 'One bucket with its stage history', auth: 'authenticated', params: Name, response: BucketDetailSchema },
    async ({ params }) => showBucket(deps, params.name),
  );
  defineRoute(
    tools,
    { method: 'post', path: '/buckets/:name/close', tag: 'buckets', summary: 'Close an open bucket', auth: MANAGERS, params: Name, body: CloseBucketSchema, status: 200, response: BucketStageChangeSchema },
    async ({ params, body, actor }) => closeBucket(deps, actor!, params.name, body),
  );
  defineRoute(
    tools,
    {
      method: 'post',
      path: '/buckets/:name/recover',
      tag: 'buckets',
      summary: 'Bring a failed bucket back to the stage it failed in',
      auth: ['data_production_manager', 'calibration_manager'],
      params: Name,
      body: z.strictObject({ reason: z.string().min(1).max(500) }),
      status: 200,
      response: BucketStageChangeSchema,
    },
    async ({ params, body, actor }) => recoverBucket(deps, actor!, params.name, body.reason),
  );
  defineRoute(
    tools,
    { method: 'get', path: '/buckets/:name/progress', tag: 'buckets', summary: 'Jobs per step × state with percentages, events in/out, failures by error class', auth: 'authenticated', params: Name, response: BucketProgressSchema },
    async ({ params }) => bucketProgress(deps, params.name),
  );
  defineRoute(
    tools,
    {
      method: 'get',
      path: '/buckets/:name/completeness',
      tag: 'buckets',
      summary: 'Runs per completeness status per step, and what is missing for each incomplete run',
      auth: 'authenticated',
      params: Name,
      query: z.object({ step: z.string().optional() }),
      response: BucketCompletenessSchema,
    },
    async ({ params, query }) => bucketCompleteness(deps, params.name, query.step),
  );
}
