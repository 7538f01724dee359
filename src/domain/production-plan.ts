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
 *   What its input step left out (files excluded, chunks failed or cancelled) is carried into the unit's `excluded`
 *   with the reason chain, so a cDST made from 2 of 3 files is never reported complete.
 * - staleness: a derived unit whose job succeeded on inputs that are no longer what its input step offers (an upstream
 *   output was produced since, e.g. a failed skim resubmitted) is `stale`; it is planned again as the next generation
 *   (`…/g2`, output `….g2.<ext>`), and completeness says "stale" until that generation succeeded.
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
import { blameInSlot } from './input-blame.ts';

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
  /** the inputs the job was planned with (loaded for jobs of steps reading other steps: staleness) */
  inputs?: readonly string[];
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
  /** set when the unit's output was made from inputs its input step has replaced since: why, until redone */
  stale?: string;
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

/** The key without its `/x…` (files left out) or `/g…` (generation) suffix: identifies the slot. */
export function slotOf(key: string): string {
  return key.replace(/\/(x[0-9.]+|g[0-9]+)$/, '');
}

/** Generation of a derived unit's key: 1 for the plain key, n for `…/g<n>`. */
export function generationOf(key: string): number {
  const m = /\/g([0-9]+)$/.exec(key);
  return m ? Number(m[1]) : 1;
}

function withGeneration(base: string, n: number): string {
  return n <= 1 ? base : `${base}/g${n}`;
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
  const corruptIds = new Set(files.filter((f) => f.status === 'corrupt').map((f) => f.id));
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
      // a corrupt file is blamed per slot: this variant's own job that failed on it or was cancelled for it
      const excluded = readiness.excluded.filter((e) => slot.some((f) => f.id === e.id)).map((e) => {
        const blame = corruptIds.has(e.id) ? blameInSlot(step.name, e.path, slotJobs) : undefined;
        return blame ? { ...e, reason: blame.reason, jobId: blame.jobId } : e;
      });
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

const fileName = (p: string) => p.slice(p.lastIndexOf('/') + 1);

function unitLabel(u: Unit): string {
  return `${u.step}${u.variant ? ` ${u.variant}` : ''} chunk ${u.chunk}`;
}

/**
 * What the input units did not deliver, as excluded inputs with the reason chain: files they left out (with their
 * own reasons), and the inputs of units whose job ended without output. Only final input units are looked at (the
 * derived unit waits for the others).
 */
export function upstreamGaps(from: readonly Unit[]): ExcludedFile[] {
  const gaps: ExcludedFile[] = [];
  for (const u of from) {
    for (const e of u.excluded) gaps.push({ id: e.id, path: e.path, reason: e.reason.startsWith('made without') ? e.reason : `made without ${fileName(e.path)} — ${e.reason}` });
    const j = u.job;
    if (u.status !== 'planned' || !j || j.state === 'succeeded') continue;
    const why =
      j.state === 'cancelled'
        ? `${unitLabel(u)} job ${j.id} cancelled${j.errorMessage ? `: ${j.errorMessage}` : ''}`
        : `${j.errorClass ?? 'unknown'} error in ${u.step} job ${j.id} after ${j.attempts} attempt(s)${j.errorMessage ? `: ${j.errorMessage}` : ''}`;
    const inputs = u.inputs.length > 0 ? u.inputs : [`${unitLabel(u)}`];
    for (const p of inputs) gaps.push({ id: 0, path: p, reason: `made without ${fileName(p)} — ${why}` });
  }
  return gaps;
}

/** Why a succeeded derived job no longer matches what its input step offers, or undefined when it does. */
function staleness(job: KnownJob, inputs: readonly string[]): string | undefined {
  if (!job.inputs) return undefined;
  const had = new Set(job.inputs);
  const now = new Set(inputs);
  const added = inputs.filter((p) => !had.has(p));
  const gone = job.inputs.filter((p) => !now.has(p));
  if (added.length === 0 && gone.length === 0) return undefined;
  const parts = [];
  if (added.length) parts.push(`${added.map(fileName).join(', ')} produced since`);
  if (gone.length) parts.push(`${gone.map(fileName).join(', ')} no longer an input`);
  return `made by job ${job.id} before its inputs changed (${parts.join('; ')})`;
}

function derivedUnits(step: PlanStep, run: ReadinessRun, ctx: PlanContext, slots: Map<string, KnownJob[]>, inputUnits: Unit[], inputStep: PlanStep): Unit[] {
  const units: Unit[] = [];
  for (const variant of variantsOf(step, ctx.skims)) {
    const base = (ctx.keyPrefix ?? '') + runKey(step.name, variant, run.exp, run.run);
    const unit = { step: step.name, variant, exp: run.exp, run: run.run, chunk: 0 };
    const from = inputUnits.filter((u) => !step.perSkim || !inputStep.perSkim || u.variant === variant);
    // generations of this slot, newest first
    const gens = (slots.get(base) ?? []).slice().sort((a, b) => generationOf(b.key) - generationOf(a.key));
    const current = gens[0];
    const older = gens.slice(1);
    const notFinal = from.filter((u) => u.status === 'waiting' || u.status === 'to_plan' || (u.status === 'planned' && !isFinalJobState(u.job!.state)));
    const excluded = notFinal.length === 0 ? upstreamGaps(from) : [];
    const produced = from.filter((u) => u.status === 'planned' && u.job!.state === 'succeeded');
    const inputs = produced.flatMap((u) => (ctx.outputs.get(u.job!.id) ?? []).map((o) => o.path));
    if (current) {
      const planned: Unit = { ...unit, key: current.key, inputs: current.inputs ? [...current.inputs] : [], excluded, status: 'planned', job: current, earlier: older };
      // an earlier generation was found stale and this one is not done yet: still stale until it succeeds
      const prev = older.find((j) => j.state === 'succeeded');
      if (current.state !== 'succeeded' && prev) planned.stale = `job ${prev.id}'s output is stale; generation ${generationOf(current.key)} is job ${current.id} (${current.state})`;
      if (current.state === 'succeeded') {
        if (notFinal.length > 0) {
          // its input step is being redone (a resubmit, a chunk planned again): the output will be superseded
          planned.stale = `made by job ${current.id}; ${notFinal.length} ${inputStep.name} unit(s) of its inputs are being redone`;
        } else {
          const why = staleness(current, inputs);
          if (why && inputs.length > 0) {
            units.push({ ...unit, key: withGeneration(base, generationOf(current.key) + 1), inputs, excluded, status: 'to_plan', earlier: gens, stale: why });
            continue;
          }
        }
      }
      units.push(planned);
      continue;
    }
    if (from.length === 0 || notFinal.length > 0) {
      const first = notFinal[0];
      const why = !first
        ? `no ${inputStep.name} units`
        : first.status === 'waiting'
          ? `waiting for ${inputStep.name}: ${first.reason}`
          : `waiting for ${notFinal.length} ${inputStep.name} job(s) of this run`;
      units.push({ ...unit, key: base, inputs: [], excluded: [], status: 'waiting', reason: why, earlier: [] });
      continue;
    }
    if (inputs.length === 0) {
      units.push({ ...unit, key: base, inputs: [], excluded, status: 'nothing_to_do', reason: `no ${inputStep.name} output for this run${variant ? ` (${variant})` : ''}`, earlier: [] });
      continue;
    }
    units.push({ ...unit, key: base, inputs, excluded, status: 'to_plan', earlier: [] });
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
  const rendered = join(
    ctx.dataDir,
    renderPattern(step.output, { bucket: ctx.bucketName, step: step.name, skim: unit.variant, exp: unit.exp, run: unit.run, chunk: unit.chunk }),
  );
  // a later generation (a stale output redone) writes beside the earlier one: outputs are never overwritten
  const gen = generationOf(unit.key);
  const output = gen > 1 ? rendered.replace(/(\.[^./]+)?$/, (ext) => `.g${gen}${ext}`) : rendered;
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
