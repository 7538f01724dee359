/**
 * Response bodies of the endpoints whose services return plain objects, for the OpenAPI document. Named with
 * `.openapi(name)` so they become shared components. Objects are loose (extra fields allowed): a service adding a
 * field does not make the document wrong, only incomplete.
 */
import { z } from 'zod';
import '../http/openapi.ts';
import { IovViewSchema } from '../services/conditions/support/schemas.ts';

const iso = () => z.string().openapi({ format: 'date-time', example: '2026-03-01T12:00:00.000Z' });
const isoOrNull = () => iso().nullable();
const counts = () => z.record(z.string(), z.number());
const Iov4 = z.array(z.number().int()).length(4).openapi({ description: '[firstExp, firstRun, finalExp, finalRun]; -1 = open end', example: [12, 0, 12, -1] });

export const ResolvedPayloadSchema = z
  .object({ name: z.string(), revision: z.number().int(), checksum: z.string().openapi({ description: 'md5' }), url: z.string(), iov: Iov4, tag: z.string() })
  .openapi('ResolvedPayload');

export const ResolutionSchema = z
  .object({ tags: z.array(z.string()), validFor: Iov4, immutable: z.boolean(), payloads: z.array(ResolvedPayloadSchema) })
  .openapi('Resolution', {
    example: {
      tags: ['e12_staging', 'main_prompt'],
      validFor: [12, 1, 12, 40],
      immutable: false,
      payloads: [{ name: 'ECLCrystalEnergy', revision: 3, checksum: 'd41d8cd98f00b204e9800998ecf8427e', url: 'payloads/ECLCrystalEnergy/3', iov: [12, 0, 12, -1], tag: 'e12_staging' }],
    },
  });

export const LocalDbPlanSchema = z
  .object({
    tags: z.array(z.string()),
    immutable: z.boolean(),
    exp: z.number().int().nullable(),
    run: z.number().int().nullable(),
    asOf: isoOrNull(),
    entries: z.array(
      z.looseObject({ name: z.string(), revision: z.number().int(), firstExp: z.number(), firstRun: z.number(), finalExp: z.number(), finalRun: z.number(), tag: z.string(), md5: z.string(), sha256: z.string(), size: z.number(), url: z.string(), file: z.string() }),
    ),
  })
  .openapi('LocalDbPlan');

export const TagHistorySchema = z
  .object({ tag: z.string(), events: z.array(z.object({ id: z.string(), at: iso(), actor: z.string(), kind: z.string(), reason: z.string(), details: z.unknown() })) })
  .openapi('TagHistory');

const DiffLine = z.object({ name: z.string(), revision: z.number().int(), iov: z.string() });
export const TagDiffSchema = z
  .object({
    a: z.object({ tag: z.string(), asOf: isoOrNull() }),
    b: z.object({ tag: z.string(), asOf: isoOrNull() }),
    added: z.array(DiffLine),
    removed: z.array(DiffLine),
    changed: z.array(z.object({ name: z.string(), from: z.object({ revision: z.number(), iov: z.string() }), to: z.object({ revision: z.number(), iov: z.string() }) })),
    unchanged: z.number().int(),
  })
  .openapi('TagDiff');

const RunPoint = z.object({ exp: z.number().int(), run: z.number().int() });
const IovChange = z.looseObject({ name: z.string(), revision: z.number().int(), oldIovId: z.number().int(), newIovId: z.number().int().optional(), from: z.string(), to: z.string() });
export const RunningUpdateSummarySchema = z
  .object({
    running: z.string(),
    staging: z.string(),
    mode: z.string(),
    firstValid: RunPoint,
    applied: z.boolean(),
    closed: z.array(IovChange),
    extended: z.array(IovChange),
    added: z.array(z.looseObject({ name: z.string(), revision: z.number().int(), iov: z.string(), stagingIovId: z.number().int(), iovId: z.number().int().optional() })),
    counts: z.object({ closed: z.number().int(), extended: z.number().int(), added: z.number().int() }),
    nextFirstValid: RunPoint,
  })
  .openapi('RunningUpdateSummary');

export const TagIovsSchema = z.object({ tag: z.string(), state: z.string(), asOf: isoOrNull(), iovs: z.array(IovViewSchema) }).openapi('TagIovs');
export const AddedIovsSchema = z.object({ tag: z.string(), added: z.array(IovViewSchema) }).openapi('AddedIovs');
export const ImportedLocalDbSchema = z.object({ tag: z.string(), created: z.boolean(), lines: z.number().int(), added: z.array(IovViewSchema) }).openapi('ImportedLocalDb');

const RunFields = {
  exp: z.number().int(),
  run: z.number().int(),
  type: z.string(),
  startTime: isoOrNull(),
  endTime: isoOrNull(),
  luminosity: z.number(),
  eventsOnline: z.number(),
  eventsOffline: z.number(),
  quality: z.record(z.string(), z.string()),
  source: z.string(),
  flag: z.string().nullable(),
  flagReason: z.string().nullable(),
};
export const RunSummarySchema = z.looseObject({ ...RunFields, bucket: z.string().nullable(), files: z.number().int(), filesByStatus: counts() }).openapi('RunSummary');
export const RunDetailSchema = z
  .looseObject({
    ...RunFields,
    bucket: z.object({ name: z.string(), stage: z.string() }).nullable(),
    flaggedAt: isoOrNull(),
    lockedAt: isoOrNull(),
    files: z.array(z.looseObject({ path: z.string(), status: z.string(), size: z.number(), checksum: z.string().nullable(), events: z.number().nullable(), flagReason: z.string().nullable(), flaggedAt: isoOrNull() })),
  })
  .openapi('RunDetail');

const Missing = z.looseObject({ variant: z.string(), chunk: z.number().int(), kind: z.string(), reason: z.string(), jobId: z.number().int().optional(), file: z.string().optional() });
const StepCompleteness = z.looseObject({ step: z.string(), status: z.string(), complete: z.boolean(), final: z.boolean(), units: z.number().int(), produced: z.number().int(), missing: z.array(Missing) });
export const RunCompletenessSchema = z.looseObject({ exp: z.number().int(), run: z.number().int(), bucket: z.string().nullable(), steps: z.array(StepCompleteness) }).openapi('RunCompleteness');
export const BucketCompletenessSchema = z
  .looseObject({ bucket: z.string(), stage: z.string(), runs: z.number().int(), summary: z.record(z.string(), counts()), incomplete: z.array(RunCompletenessSchema) })
  .openapi('BucketCompleteness');

const UpsertSummary = z.object({ runs: z.number().int(), newRuns: z.number().int(), files: z.number().int(), newFiles: z.number().int() }).openapi('RunListImport');
export const RunListImportSchema = UpsertSummary;
const Problem = z.looseObject({ path: z.string().optional(), message: z.string() });
export const RunSourceItemSchema = z
  .looseObject({ source: z.string(), item: z.string(), status: z.string(), message: z.string().nullable(), problems: z.unknown(), runs: z.unknown(), sha256: z.string().nullable(), processedAt: iso(), cursor: z.unknown() })
  .openapi('RunSourceItem');
export const RunSourcePollSchema = z
  .object({ items: z.array(z.looseObject({ source: z.string(), item: z.string(), status: z.enum(['ok', 'error', 'unchanged']), message: z.string().optional(), problems: z.array(Problem).optional(), summary: UpsertSummary.optional() })) })
  .openapi('RunSourcePoll');

const BucketFields = {
  name: z.string(),
  exp: z.number().int(),
  firstRun: z.number().int(),
  lastRun: z.number().int().nullable(),
  stage: z.string(),
  stageChangedAt: iso(),
  openedAt: iso(),
  closedAt: isoOrNull(),
  closeReason: z.string().nullable(),
};
export const BucketSummarySchema = z.looseObject(BucketFields).openapi('BucketSummary');
export const BucketDetailSchema = z
  .looseObject({
    ...BucketFields,
    closedBy: z.string().nullable(),
    data: z.unknown(),
    runs: z.number().int(),
    luminosity: z.number(),
    firstStart: isoOrNull(),
    lastEnd: isoOrNull(),
    flaggedRuns: z.array(z.looseObject({ exp: z.number().int(), run: z.number().int(), flag: z.string().nullable(), flagReason: z.string().nullable() })),
    history: z.array(z.object({ at: iso(), actor: z.string(), action: z.string(), summary: z.string() })),
  })
  .openapi('BucketDetail');
export const CreatedBucketSchema = z
  .looseObject({ name: z.string(), exp: z.number().int(), firstRun: z.number().int(), lastRun: z.number().int().nullable(), stage: z.string() })
  .openapi('CreatedBucket');
export const BucketStageChangeSchema = z.looseObject({ name: z.string(), stage: z.string() }).openapi('BucketStageChange');
/** The head of the per-bucket views (progress, calibrations). */
const BucketHead = { bucket: z.string(), stage: z.string(), exp: z.number().int(), firstRun: z.number().int(), lastRun: z.number().int().nullable() };
export const BucketProgressSchema = z
  .looseObject({
    ...BucketHead,
    runs: z.number().int(),
    steps: z.array(
      z.looseObject({ step: z.string(), total: z.number().int(), states: counts(), percent: counts(), finalPercent: z.number(), succeededPercent: z.number(), errors: counts(), eventsIn: z.number(), eventsOut: z.number() }),
    ),
  })
  .openapi('BucketProgress');

const JobFields = {
  id: z.number().int(),
  key: z.string(),
  bucket: z.string().nullable(),
  step: z.string(),
  variant: z.string(),
  exp: z.number().int().nullable(),
  run: z.number().int().nullable(),
  chunk: z.number().int(),
  state: z.string(),
  attempts: z.number().int(),
  maxAttempts: z.number().int(),
  priority: z.number().int(),
  errorClass: z.string().nullable(),
  errorMessage: z.string().nullable(),
  exitCode: z.number().int().nullable(),
  memoryMb: z.number(),
  executorJobId: z.string().nullable(),
};
export const JobSummarySchema = z.looseObject({ ...JobFields, notBefore: isoOrNull(), updatedAt: iso() }).openapi('JobSummary');
export const JobListSchema = z.object({ total: z.number().int(), jobs: z.array(JobSummarySchema) }).openapi('JobList');
export const JobDetailSchema = z
  .looseObject({ ...JobFields, endReason: z.string().nullable(), executor: z.string().nullable(), workDir: z.string().nullable(), logPath: z.string().nullable(), command: z.unknown(), inputs: z.unknown(), outputs: z.unknown() })
  .openapi('JobDetail');
export const JobLogSchema = z.object({ id: z.number().int(), attempt: z.number().int(), logPath: z.string().nullable(), text: z.string() }).openapi('JobLog');
export const BulkJobResultSchema = z
  .looseObject({ operation: z.string(), matched: z.number().int(), changed: z.number().int(), byState: counts(), alreadySubmitted: z.number().int().optional() })
  .openapi('BulkJobResult', { example: { operation: 'resubmit', matched: 4, changed: 4, byState: { failed: 4 } } });

const CalibrationRunFields = z.looseObject({
  id: z.number().int(),
  bucket: z.string(),
  calibration: z.string(),
  detector: z.string(),
  state: z.string(),
  iteration: z.number().int(),
  maxIterations: z.number().int(),
  message: z.string().nullable(),
  stateChangedAt: iso(),
  startedAt: isoOrNull(),
  finishedAt: isoOrNull(),
});
export const CalibrationRunSchema = CalibrationRunFields.openapi('CalibrationRun');
export const BucketCalibrationsSchema = z
  .looseObject({
    ...BucketHead,
    failure: z.string().nullable(),
    calibrations: z.array(CalibrationRunFields.extend({ dependsOn: z.array(z.string()), iterations: z.array(z.looseObject({ iteration: z.number().int(), outcome: z.string().nullable(), jobId: z.number().int().nullable() })) })),
  })
  .openapi('BucketCalibrations');
export const PlannedBucketSchema = z
  .object({ bucket: z.string(), calibrations: z.array(z.looseObject({ calibration: z.string(), state: z.string(), reason: z.string().optional(), files: z.number().int(), events: z.number() })) })
  .openapi('PlannedBucket');
export const AdvanceSummarySchema = z
  .object({ buckets: z.number().int(), started: z.number().int(), iterations: z.number().int(), finished: z.number().int(), errors: z.array(z.object({ bucket: z.string(), error: z.string() })) })
  .openapi('AdvanceSummary');
export const PayloadFileSchema = z.string().openapi({ format: 'binary', description: 'the payload file as uploaded' });
export const ImageFileSchema = z.string().openapi({ format: 'binary', description: 'the image file as the algorithm wrote it' });
