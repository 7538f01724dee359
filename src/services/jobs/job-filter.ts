/**
 * The job selection of list and bulk operations (by bucket, step, variant, run range, state, error class, ids), as
 * one zod schema for HTTP and CLI and one SQL WHERE fragment for set-based statements.
 */
import { z } from 'zod';
import { Prisma } from '../../db/generated/client.ts';
import type { Deps } from '../../deps.ts';
import { ERROR_CLASS_LIST } from '../../domain/error-classes.ts';
import { invalid } from '../../domain/errors.ts';
import { jobLifecycle } from '../../domain/job-states.ts';
import { findBucket } from '../buckets/bucket-data.ts';
import { MAX_EXP, MAX_RUN } from '../../domain/iov.ts';
import { MAX_ID, textInt, textList } from '../../domain/strict-input.ts';
import { BucketNameSchema } from '../conditions/support/schemas.ts';

/** Where a filter comes from: a query string (text, one strict rule) or a JSON body (typed, nothing coerced). */
type Source = 'query' | 'body';
const int = (from: Source, min: number, max: number) => (from === 'body' ? z.number().int().min(min).max(max) : textInt(min, max));
const list = <T extends z.ZodType>(from: Source, item: T) => (from === 'body' ? z.array(item).min(1).max(10_000) : textList(item, 10_000)).optional();

function jobFilterSchema(from: Source) {
  // strict: a misspelt key in a bulk filter must not silently widen what the operation touches
  return z.strictObject({
    bucket: BucketNameSchema.optional().describe('bucket name'),
    step: list(from, z.string().min(1).max(200)).describe('step name(s)'),
    variant: list(from, z.string().max(200)).describe('variant(s): skim name, calibration, …'),
    exp: int(from, 0, MAX_EXP).optional(),
    runFrom: int(from, 0, MAX_RUN).optional().describe('first run (inclusive)'),
    runTo: int(from, 0, MAX_RUN).optional().describe('last run (inclusive)'),
    state: list(from, z.enum(jobLifecycle.list as [string, ...string[]])).describe('state(s)'),
    errorClass: list(from, z.enum(ERROR_CLASS_LIST as [string, ...string[]])).describe('error class(es)'),
    ids: list(from, int(from, 1, MAX_ID)).describe('job ids'),
    campaignId: int(from, 1, MAX_ID).optional(),
    calibrationRunId: int(from, 1, MAX_ID).optional(),
  });
}

/** The filter of `GET /jobs` (query string). */
export const JobFilterQuerySchema = jobFilterSchema('query');
/** The filter of the bulk operations (JSON body). */
export const JobFilterSchema = jobFilterSchema('body');
export type JobFilter = z.infer<typeof JobFilterSchema>;

/** Resolves names and builds the WHERE fragment (column names of table alias-free "Job"). */
export async function jobFilterSql(deps: Pick<Deps, 'prisma'>, f: JobFilter): Promise<Prisma.Sql> {
  const parts: Prisma.Sql[] = [];
  if (f.bucket) {
    const b = await findBucket(deps.prisma, f.bucket);
    parts.push(Prisma.sql`"bucketId" = ${b.id}`);
    // a bucket is one experiment's run range: saying so lets a run range use the (exp, run, step) index
    if ((f.runFrom !== undefined || f.runTo !== undefined) && f.exp === undefined) parts.push(Prisma.sql`exp = ${b.exp}`);
  }
  if (f.step) parts.push(Prisma.sql`step = ANY(${f.step}::text[])`);
  if (f.variant) parts.push(Prisma.sql`variant = ANY(${f.variant}::text[])`);
  if (f.exp !== undefined) parts.push(Prisma.sql`exp = ${f.exp}`);
  if (f.runFrom !== undefined) parts.push(Prisma.sql`run >= ${f.runFrom}`);
  if (f.runTo !== undefined) parts.push(Prisma.sql`run <= ${f.runTo}`);
  if (f.state) parts.push(Prisma.sql`state = ANY(${f.state}::text[])`);
  if (f.errorClass) parts.push(Prisma.sql`"errorClass" = ANY(${f.errorClass}::text[])`);
  if (f.ids) parts.push(Prisma.sql`id = ANY(${f.ids}::int[])`);
  if (f.campaignId !== undefined) parts.push(Prisma.sql`"campaignId" = ${f.campaignId}`);
  if (f.calibrationRunId !== undefined) parts.push(Prisma.sql`"calibrationRunId" = ${f.calibrationRunId}`);
  return parts.length ? Prisma.join(parts, ' AND ') : Prisma.sql`TRUE`;
}

/** Bulk operations must say what they touch: an empty filter would hit every job ever made. */
export function assertNarrowed(f: JobFilter): void {
  const { state: _s, errorClass: _e, ...scope } = f;
  if (Object.values(scope).every((v) => v === undefined)) {
    throw invalid('a bulk operation needs a scope: bucket, step, run range, exp, ids, campaign or calibration run', [{ path: 'body.filter', message: 'no scope given' }]);
  }
}

/** Prisma `where` for reads (list). */
export async function jobFilterWhere(deps: Pick<Deps, 'prisma'>, f: JobFilter): Promise<Prisma.JobWhereInput> {
  let bucketId: number | undefined;
  if (f.bucket) {
    const b = await findBucket(deps.prisma, f.bucket);
    bucketId = b.id;
  }
  return {
    ...(bucketId !== undefined ? { bucketId } : {}),
    ...(f.step ? { step: { in: f.step } } : {}),
    ...(f.variant ? { variant: { in: f.variant } } : {}),
    ...(f.exp !== undefined ? { exp: f.exp } : {}),
    ...(f.runFrom !== undefined || f.runTo !== undefined ? { run: { ...(f.runFrom !== undefined ? { gte: f.runFrom } : {}), ...(f.runTo !== undefined ? { lte: f.runTo } : {}) } } : {}),
    ...(f.state ? { state: { in: f.state } } : {}),
    ...(f.errorClass ? { errorClass: { in: f.errorClass } } : {}),
    ...(f.ids ? { id: { in: f.ids } } : {}),
    ...(f.campaignId !== undefined ? { campaignId: f.campaignId } : {}),
    ...(f.calibrationRunId !== undefined ? { calibrationRunId: f.calibrationRunId } : {}),
  };
}
