/**
 * Production planning as a pure function: (bucket, run with its files, steps, jobs already known) → the *units* of
 * work for the run, each with a status, and for the units still to plan the job to create. The same units answer
 * "is run R complete for step S, and what is missing?" (src/domain/completeness.ts), so planning and reporting can
 * never disagree.
 *
 * Units and idempotency keys:
 * - raw-input steps (HLT skim, mDST): one unit per run × chunk (× skim for per-skim steps). Chunks are fixed slots of
 *   `chunkFiles` files over *all* the run's files ordered by id (insertion order), so a later status change never
 *   moves a file to another chunk. Key: `<step>/<variant or ->/e<exp>/r<run>/c<chunk>`; when files of the slot are
 *   left out (corrupt, missing, not transferred in time) the key gets `/x<ids of the left-out files>`, so flagging a
 *   corrupt file plans the rest of its chunk again under a new key while the failed job stays as history.
 * - steps reading another step's outputs (cDST): one unit per run (× skim). Key: `<step>/<variant or ->/e<exp>/r<run>`.
 *   Ready when every unit of the input step for the run is final; its inputs are the outputs of the succeeded ones.
 *
 * A unit is never planned again while an earlier job of the same slot is pending, and a slot that already succeeded
 * under an earlier key keeps that job: the same data is never produced twice.
 */
import { join } from 'node:path';
import { renderCommand, renderPattern } from './command-template.ts';
import { isFinalJobState } from './job-states.ts';
import type { NewJob } from './new-job.ts';
import { jobDir } from './job-paths.ts';
import { rawReadiness, type ExcludedFile, type ReadinessRun } from './run-readiness.ts';

export interface PlanStep {
  name: string;
  kind: string;
  input: string;
  perSkim: boolean;
  chunkFiles: number;
  command: string[];
  output: string;
  memoryMb: number;
  timeLimitS: number;
  maxAttempts: number;
  priority: number;
}

export interface KnownJob {
  id: number;
  key: string;
  state: string;
  attempts: number;
  errorClass: string | null;
  errorMessage: string | null;
}

export interface KnownOutput {
  path: string;
  events: number;
}

export type UnitStatus = 'waiting' | 'to_plan' | 'planned' | 'nothing_to_do';

export interface Unit {
  step: string;
  variant: string;
  exp: number;
  run: number;
  chunk: number;
  key: string;
  inputs: string[];
  excluded: ExcludedFile[];
  status: UnitStatus;
  /** why it waits or has nothing to do */
  reason?: string;
  /** the job that stands for the unit (planned) */
  job?: KnownJob;
  /** earlier jobs of the same slot under other keys (e.g. failed on a file flagged corrupt since) */
  earlier: KnownJob[];
}

export interface PlanContext {
  now: Date;
  fileWaitHours: number;
  skims: readonly string[];
  /** jobs of this run, any step, by idempotency key */
  jobs: ReadonlyMap<string, KnownJob>;
  /** outputs of succeeded jobs, by job id (needed for steps reading other steps) */
  outputs: ReadonlyMap<number, readonly KnownOutput[]>;
  /** prepended to every key, e.g. `campaign3/` so each reprocessing campaign has its own jobs */
  keyPrefix?: string;
}

export const NO_VARIANT = '-';

export function chunkKey(step: string, variant: string, exp: number, run: number, chunk: number): string {
  return `${step}/${variant || NO_VARIANT}/e${exp}/r${run}/c${chunk}`;
}

export function runKey(step: string, variant: string, exp: number, run: number): string {
  return `${step}/${variant || NO_VARIANT}/e${exp}/r${run}`;
}

/** The key without its `/x…` suffix: identifies the slot. */
export function slotOf(key: string): string {
  return key.replace(/\/x[0-9.]+$/, '');
}

function variantsOf(step: PlanStep, skims: readonly string[]): string[] {
  return step.perSkim ? [...skims] : [''];
}

/** Groups known jobs by slot, for the "earlier jobs" of a unit. */
function jobsBySlot(jobs: ReadonlyMap<string, KnownJob>): Map<string, KnownJob[]> {
  const out = new Map<string, KnownJob[]>();
  for (const j of jobs.values()) {
    const s = slotOf(j.key);
    const list = out.get(s);
    if (list) list.push(j);
    else out.set(s, [j]);
  }
  return out;
}

/** Decides a unit's status from its key and the other jobs of its slot. */
function settle(unit: Omit<Unit, 'status' | 'earlier'>, slotJobs: KnownJob[], jobs: ReadonlyMap<string, KnownJob>): Unit {
  const current = jobs.get(unit.key);
  const earlier = slotJobs.filter((j) => j.key !== unit.key).sort((a, b) => a.id - b.id);
  if (current) return { ...unit, status: 'planned', job: current, earlier };
  const succeeded = earlier.find((j) => j.state === 'succeeded');
  if (succeeded) return { ...unit, status: 'planned', job: succeeded, earlier: earlier.filter((j) => j !== succeeded) };
  const pending = earlier.find((j) => !isFinalJobState(j.state));
  if (pending) {
    return { ...unit, status: 'waiting', reason: `earlier job ${pending.id} of this slot is still ${pending.state}`, earlier };
  }
  return { ...unit, status: 'to_plan', earlier };
}

function rawUnits(step: PlanStep, run: ReadinessRun, ctx: PlanContext, slots: Map<string, KnownJob[]>): Unit[] {
  const readiness = rawReadiness(run, ctx.now, ctx.fileWaitHours);
  const units: Unit[] = [];
  const files = [...run.files].sort((a, b) => a.id - b.id);
  const nChunks = Math.max(1, Math.ceil(files.length / step.chunkFiles));
  for (const variant of variantsOf(step, ctx.skims)) {
    for (let c = 0; c < nChunks; c++) {
      const base = (ctx.keyPrefix ?? '') + chunkKey(step.name, variant, run.exp, run.run, c);
      const unit = { step: step.name, variant, exp: run.exp, run: run.run, chunk: c };
      const slotJobs = slots.get(base) ?? [];
      if (!readiness.ready) {
        // a job may exist from before (e.g. a file went back to registered): report it, plan nothing new
        const existing = slotJobs.find((j) => j.state === 'succeeded') ?? slotJobs[slotJobs.length - 1];
        if (existing) units.push({ ...unit, key: existing.key, inputs: [], excluded: [], status: 'planned', job: existing, earlier: slotJobs.filter((j) => j !== existing) });
        else units.push({ ...unit, key: base, inputs: [], excluded: [], status: 'waiting', reason: readiness.reason, earlier: [] });
        continue;
      }
      const slot = files.slice(c * step.chunkFiles, (c + 1) * step.chunkFiles);
      const usableIds = new Set(readiness.usable.map((f) => f.id));
      const inputs = slot.filter((f) => usableIds.has(f.id));
      const excluded = readiness.excluded.filter((e) => slot.some((f) => f.id === e.id));
      const key = excluded.length > 0 ? `${base}/x${excluded.map((e) => e.id).sort((a, b) => a - b).join('.')}` : base;
      if (inputs.length === 0) {
        const done = slotJobs.find((j) => j.state === 'succeeded');
        if (done) units.push({ ...unit, key: done.key, inputs: [], excluded, status: 'planned', job: done, earlier: slotJobs.filter((j) => j !== done) });
        else units.push({ ...unit, key, inputs: [], excluded, status: 'nothing_to_do', reason: 'no usable raw file in this chunk', earlier: slotJobs });
        continue;
      }
      const settled = settle({ ...unit, key, inputs: inputs.map((f) => f.path), excluded }, slotJobs, ctx.jobs);
      // the slot was produced earlier without files that are usable now (e.g. transferred after the wait ran out):
      // the output does not contain them, and completeness must say so
      if (settled.job && settled.job.key !== key) {
        const leftOut = new Set((/\/x([0-9.]+)$/.exec(settled.job.key)?.[1] ?? '').split('.').filter(Boolean).map(Number));
        for (const f of inputs) {
          if (leftOut.has(f.id)) settled.excluded.push({ id: f.id, path: f.path, reason: `usable now, but its chunk was produced without it by job ${settled.job.id}` });
        }
      }
      units.push(settled);
    }
  }
  return units;
}

function derivedUnits(step: PlanStep, run: ReadinessRun, ctx: PlanContext, slots: Map<string, KnownJob[]>, inputUnits: Unit[], inputStep: PlanStep): Unit[] {
  const units: Unit[] = [];
  for (const variant of variantsOf(step, ctx.skims)) {
    const key = (ctx.keyPrefix ?? '') + runKey(step.name, variant, run.exp, run.run);
    const unit = { step: step.name, variant, exp: run.exp, run: run.run, chunk: 0, key, excluded: [] as ExcludedFile[] };
    const from = inputUnits.filter((u) => !step.perSkim || !inputStep.perSkim || u.variant === variant);
    const existing = ctx.jobs.get(key);
    if (existing) {
      units.push({ ...unit, inputs: [], status: 'planned', job: existing, earlier: [] });
      continue;
    }
    const notFinal = from.filter((u) => u.status === 'waiting' || u.status === 'to_plan' || (u.status === 'planned' && !isFinalJobState(u.job!.state)));
    if (from.length === 0 || notFinal.length > 0) {
      const first = notFinal[0];
      const why = !first
        ? `no ${inputStep.name} units`
        : first.status === 'waiting'
          ? `waiting for ${inputStep.name}: ${first.reason}`
          : `waiting for ${notFinal.length} ${inputStep.name} job(s) of this run`;
      units.push({ ...unit, inputs: [], status: 'waiting', reason: why, earlier: [] });
      continue;
    }
    const produced = from.filter((u) => u.status === 'planned' && u.job!.state === 'succeeded');
    const inputs = produced.flatMap((u) => (ctx.outputs.get(u.job!.id) ?? []).map((o) => o.path));
    if (inputs.length === 0) {
      units.push({ ...unit, inputs: [], status: 'nothing_to_do', reason: `no ${inputStep.name} output for this run${variant ? ` (${variant})` : ''}`, earlier: [] });
      continue;
    }
    units.push(settle({ ...unit, inputs }, slots.get(key) ?? [], ctx.jobs));
  }
  return units;
}

/** Every unit of `steps` for one run, in step order (input steps first). */
export function unitsForRun(steps: readonly PlanStep[], run: ReadinessRun, ctx: PlanContext): Unit[] {
  const slots = jobsBySlot(ctx.jobs);
  const byStep = new Map<string, Unit[]>();
  const all: Unit[] = [];
  for (const step of steps) {
    let units: Unit[];
    if (step.input === 'raw') units = rawUnits(step, run, ctx, slots);
    else {
      const inputStep = steps.find((s) => s.name === step.input);
      const inputUnits = byStep.get(step.input);
      if (!inputStep || !inputUnits) throw new Error(`step ${step.name} reads ${step.input}, which is not planned before it`);
      units = derivedUnits(step, run, ctx, slots, inputUnits, inputStep);
    }
    byStep.set(step.name, units);
    all.push(...units);
  }
  return all;
}

export interface JobContext {
  bucketId: number;
  bucketName: string;
  dataDir: string;
  /** root of job directories (for `{inputList}`) */
  jobsRoot: string;
  node: string;
  toolkit: string;
  /** local database directory per step with a tag chain (`{localdb}`) */
  localdb: (step: string) => string | undefined;
  tagChain: (step: string) => string[];
}

/** The job for a unit to plan: command rendered, declared output, resources and attempts from the step. */
export function jobForUnit(step: PlanStep, unit: Unit, ctx: JobContext): NewJob {
  const output = join(
    ctx.dataDir,
    renderPattern(step.output, { bucket: ctx.bucketName, step: step.name, skim: unit.variant, exp: unit.exp, run: unit.run, chunk: unit.chunk }),
  );
  const localdb = ctx.localdb(step.name);
  const command = renderCommand(step.command, {
    node: ctx.node,
    toolkit: ctx.toolkit,
    inputs: unit.inputs.join(','),
    inputList: join(jobDir(ctx.jobsRoot, unit.key), 'inputs.txt'),
    output,
    outputDir: join(output, '..'),
    ...(unit.variant ? { skim: unit.variant } : {}),
    exp: unit.exp,
    run: unit.run,
    firstRun: unit.run,
    ...(localdb ? { localdb } : {}),
  });
  return {
    idempotencyKey: unit.key,
    step: step.name,
    variant: unit.variant,
    bucketId: ctx.bucketId,
    exp: unit.exp,
    run: unit.run,
    chunk: unit.chunk,
    command,
    inputs: unit.inputs,
    outputs: [output],
    memoryMb: step.memoryMb,
    timeLimitS: step.timeLimitS,
    maxAttempts: step.maxAttempts,
    priority: step.priority,
    tagChain: ctx.tagChain(step.name),
  };
}
