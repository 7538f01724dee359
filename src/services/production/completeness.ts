/**
 * Definite answers to "is run R complete for step S?" and "what is missing?", per run and per bucket, from the same
 * units planning uses (src/domain/completeness.ts says what each status means).
 */
import type { Deps } from '../../deps.ts';
import { notFound, invalid } from '../../domain/errors.ts';
import { stepCompleteness, type StepCompleteness } from '../../domain/completeness.ts';
import { loadBucketUnits, productionSteps } from './bucket-units.ts';
import { findBucket } from '../buckets/bucket-data.ts';

export interface RunCompleteness {
  exp: number;
  run: number;
  bucket: string | null;
  steps: StepCompleteness[];
}

function stepsFor(deps: Deps, step?: string) {
  const steps = productionSteps(deps);
  if (step && !steps.some((s) => s.name === step)) throw invalid(`unknown production step ${step} (known: ${steps.map((s) => s.name).join(', ')})`);
  return steps;
}

function notPlanned(steps: { name: string }[], reason: string): StepCompleteness[] {
  return steps.map((s) => ({ step: s.name, status: 'not_planned', complete: false, final: false, units: 0, produced: 0, missing: [{ variant: '', chunk: 0, kind: 'not_planned', reason, chain: `${s.name}: ${reason}` }] }));
}

export async function runCompleteness(deps: Deps, exp: number, run: number, step?: string): Promise<RunCompleteness> {
  const steps = stepsFor(deps, step);
  const r = await deps.prisma.run.findUnique({ where: { exp_run: { exp, run } }, include: { bucket: true } });
  if (!r) throw notFound(`run e${exp} r${run}`);
  const pick = (list: StepCompleteness[]) => (step ? list.filter((s) => s.step === step) : list);
  if (!r.bucket) {
    const why = deps.production.buckets.runTypes.includes(r.type) ? 'the run is in no bucket yet (bucket policy tick)' : `run type ${r.type} does not go into buckets`;
    return { exp, run, bucket: null, steps: pick(notPlanned(steps, why)) };
  }
  if (r.bucket.stage === 'open' || r.bucket.stage === 'closed') {
    return { exp, run, bucket: r.bucket.name, steps: pick(notPlanned(steps, `production starts when bucket ${r.bucket.name} is closed and picked up (it is ${r.bucket.stage})`)) };
  }
  const [ru] = await loadBucketUnits(deps, r.bucket, steps, { runs: [run] });
  return { exp, run, bucket: r.bucket.name, steps: pick(steps.map((s) => stepCompleteness(s.name, ru.units.filter((u) => u.step === s.name)))) };
}

export interface BucketCompleteness {
  bucket: string;
  stage: string;
  runs: number;
  /** per step: how many runs are in each completeness status */
  summary: Record<string, Record<string, number>>;
  /** runs that are not complete, with what is missing */
  incomplete: RunCompleteness[];
}

export async function bucketCompleteness(deps: Deps, name: string, step?: string): Promise<BucketCompleteness> {
  const steps = stepsFor(deps, step);
  const b = await findBucket(deps.prisma, name);
  const wanted = step ? steps.filter((s) => s.name === step) : steps;
  const summary: Record<string, Record<string, number>> = Object.fromEntries(wanted.map((s) => [s.name, {}]));
  const incomplete: RunCompleteness[] = [];
  if (b.stage === 'open' || b.stage === 'closed') {
    const runs = await deps.prisma.run.findMany({ where: { bucketId: b.id }, select: { run: true }, orderBy: { run: 'asc' } });
    for (const s of wanted) summary[s.name] = { not_planned: runs.length };
    return { bucket: b.name, stage: b.stage, runs: runs.length, summary, incomplete: [] };
  }
  const all = await loadBucketUnits(deps, b, steps);
  for (const ru of all) {
    const list = wanted.map((s) => stepCompleteness(s.name, ru.units.filter((u) => u.step === s.name)));
    for (const c of list) summary[c.step][c.status] = (summary[c.step][c.status] ?? 0) + 1;
    if (list.some((c) => !c.complete)) incomplete.push({ exp: ru.run.exp, run: ru.run.run, bucket: b.name, steps: list.filter((c) => !c.complete) });
  }
  return { bucket: b.name, stage: b.stage, runs: all.length, summary, incomplete };
}
