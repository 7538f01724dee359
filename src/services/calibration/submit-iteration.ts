/**
 * Submits one iteration of a calibration as ONE job through the job engine (step `calibration`, variant = the
 * calibration's name, idempotency key bucket/calibration/request/iteration) and records the iteration with the tag
 * chain it reads. Before the job exists, the iteration's basf2 local database is prepared: the calibration chain
 * (fixing tag first, then running) exported for the first run of the scope, then the staging payloads of every
 * calibration this one depends on appended (later lines win), so it reads its dependencies' new constants.
 *
 * Safe to repeat: the job is keyed, the iteration row is keyed, and files are only written while no job exists.
 */
import { appendFileSync, copyFileSync, mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { Deps } from '../../deps.ts';
import type { CalibrationDefinition } from '../../config/calibration-schema.ts';
import { ROOT_DIR } from '../../db/paths.ts';
import { calibrationJobKey, selectInputs } from '../../domain/calibration-plan.ts';
import { renderCommand } from '../../domain/command-template.ts';
import { DATABASE_FILE, formatDatabaseLine, payloadFileName } from '../../domain/localdb-format.ts';
import { createJobs } from '../jobs/create-jobs.ts';
import { bucketCdstFiles, bucketRuns } from './bucket-inputs.ts';
import type { CalibrationSetup } from './calibration-config.ts';
import { conditionsPort } from '../conditions/store-conditions.ts';
import { currentRunsOfBucket } from './calibration-runs.ts';

export const CALIBRATION_STEP = 'calibration';
/** An algorithm that fails is not retried blindly; one retry covers a lost node (site errors are retried by class). */
export const CALIBRATION_JOB_MAX_ATTEMPTS = 2;

export interface RunRow {
  id: number;
  bucketId: number;
  calibration: string;
  requestId: number | null;
  exp: number;
  firstRun: number;
  lastRun: number | null;
  iteration: number;
  expertConfig: unknown;
  tagChain: string[];
}

export interface DependencyPayload {
  calibration: string;
  candidateId: number;
  name: string;
  revision: number;
  payloadId: number;
  iov: [number, number, number, number];
}

export function runDir(deps: Pick<Deps, 'config'>, bucket: string, run: Pick<RunRow, 'calibration' | 'requestId'>): string {
  return join(deps.config.workDir, CALIBRATION_STEP, bucket, run.calibration, run.requestId === null ? 'plan' : `request${run.requestId}`);
}

/** Staging payloads of the calibrations `calibration` depends on (transitively): live candidates of their current runs. */
export async function dependencyPayloads(deps: Deps, setup: CalibrationSetup, bucketId: number, calibration: string): Promise<DependencyPayload[]> {
  const needed = setup.graph.has(calibration) ? setup.graph.dependenciesOf(calibration) : [];
  if (needed.length === 0) return [];
  const { current } = await currentRunsOfBucket(deps.prisma, bucketId);
  const runIds = needed.map((n) => current.get(n)?.id).filter((id): id is number => id !== undefined);
  const candidates = await deps.prisma.payloadCandidate.findMany({
    where: { calibrationRunId: { in: runIds }, state: { in: ['pending', 'approved'] } },
    orderBy: [{ calibrationRunId: 'asc' }, { id: 'asc' }],
  });
  const order = new Map(needed.map((n, i) => [n, i]));
  return candidates
    .sort((a, b) => order.get(a.calibration)! - order.get(b.calibration)! || a.id - b.id)
    .map((c) => ({
      calibration: c.calibration,
      candidateId: c.id,
      name: c.name,
      revision: c.revision,
      payloadId: c.payloadId,
      iov: [c.firstExp, c.firstRun, c.finalExp, c.finalRun],
    }));
}

export async function submitIteration(
  deps: Deps,
  setup: CalibrationSetup,
  bucket: { id: number; name: string },
  run: RunRow,
  definition: CalibrationDefinition,
  iteration: number,
): Promise<{ jobId: number; key: string }> {
  const key = calibrationJobKey({ bucket: bucket.name, calibration: run.calibration, requestId: run.requestId, iteration });
  const base = runDir(deps, bucket.name, run);
  const outputDir = join(base, `iter_${iteration}`);
  const localdb = join(base, `localdb_i${iteration}`);
  const inputList = join(base, 'inputs.txt');
  const depPayloads = await dependencyPayloads(deps, setup, bucket.id, run.calibration);
  let job = await deps.prisma.job.findUnique({ where: { idempotencyKey: key } });
  if (!job) {
    const [runs, files] = await Promise.all([bucketRuns(deps.prisma, bucket.id), bucketCdstFiles(deps.prisma, bucket.id)]);
    const inputs = selectInputs(definition, { exp: run.exp, firstRun: run.firstRun, lastRun: run.lastRun }, runs, files);
    mkdirSync(base, { recursive: true });
    writeFileSync(inputList, inputs.files.map((f) => f.path).join('\n') + '\n');
    await prepareLocalDb(deps, run, localdb, depPayloads);
    const command = renderCommand(definition.command, {
      node: process.execPath,
      toolkit: join(ROOT_DIR, 'toolkit'),
      inputs: inputs.files.map((f) => f.path).join(','),
      inputList,
      output: outputDir,
      outputDir,
      skim: definition.inputDataNames.join(','),
      exp: run.exp,
      run: run.firstRun,
      firstRun: run.firstRun,
      iteration,
      localdb,
      expertConfig: JSON.stringify(run.expertConfig ?? {}),
      algorithm: definition.algorithm,
    });
    await createJobs(deps, [
      {
        idempotencyKey: key,
        step: CALIBRATION_STEP,
        variant: run.calibration,
        bucketId: bucket.id,
        exp: run.exp,
        run: run.firstRun,
        chunk: iteration,
        command,
        inputs: inputs.files.map((f) => f.path),
        outputs: [join(outputDir, 'result.json')],
        memoryMb: definition.resources.memoryMb,
        timeLimitS: definition.resources.timeLimitS,
        maxAttempts: CALIBRATION_JOB_MAX_ATTEMPTS,
        tagChain: run.tagChain,
        calibrationRunId: run.id,
      },
    ]);
    job = await deps.prisma.job.findUniqueOrThrow({ where: { idempotencyKey: key } });
  }
  const at = deps.clock.now();
  await deps.prisma.calibrationIteration.createMany({
    data: [
      {
        calibrationRunId: run.id,
        iteration,
        jobId: job.id,
        tagChain: run.tagChain,
        dependencyPayloads: JSON.parse(JSON.stringify(depPayloads)),
        outputDir,
        startedAt: at,
      },
    ],
    skipDuplicates: true,
  });
  deps.logger.info('calibration iteration submitted', { bucket: bucket.name, calibration: run.calibration, calibrationRunId: run.id, iteration, jobId: job.id, key });
  return { jobId: job.id, key };
}

/** The calibration chain exported whole, with the dependencies' staging payloads appended. */
async function prepareLocalDb(deps: Deps, run: RunRow, dir: string, depPayloads: DependencyPayload[]): Promise<void> {
  const conditions = conditionsPort(deps);
  await conditions.exportLocalDb({ chain: run.tagChain, dir });
  if (depPayloads.length === 0) return;
  const lines = [`# staging payloads of the dependencies (calibloop, calibration run ${run.id})`];
  for (const p of depPayloads) {
    copyFileSync(await conditions.payloadPath(p.payloadId), join(dir, payloadFileName(p.name, p.revision)));
    const [firstExp, firstRun, finalExp, finalRun] = p.iov;
    lines.push(formatDatabaseLine({ name: p.name, revision: p.revision, firstExp, firstRun, finalExp, finalRun }));
  }
  appendFileSync(join(dir, DATABASE_FILE), lines.join('\n') + '\n');
}
