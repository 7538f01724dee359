/**
 * The table production managers read every week: per bucket × step × state, counts and percentages, events in and
 * out, failures by error class. One GROUP BY over the job table (index bucketId, step, state).
 *
 * Totals do not grow while production runs: for production steps, `expected` is the number of units the bucket's
 * runs and files call for (known as soon as the files are, before any job exists: chunks × skims for raw steps, one
 * per run × skim for steps reading other steps), `planned` how many of those slots have a job, and `eta` projects the
 * remaining units at the rate jobs of this bucket have been finishing.
 */
import type { Deps } from '../../deps.ts';
import { jobLifecycle, FINAL_JOB_STATES } from '../../domain/job-states.ts';
import { findBucket } from '../buckets/bucket-data.ts';
import { expectedUnits, type RunFileCounts, type SlotCount, type StepTotals } from '../../domain/production-totals.ts';
import { productionSteps } from './bucket-units.ts';

export interface StepProgress {
  step: string;
  total: number;
  states: Record<string, number>;
  percent: Record<string, number>;
  /** share of jobs in a final state */
  finalPercent: number;
  succeededPercent: number;
  errors: Record<string, number>;
  eventsIn: number;
  eventsOut: number;
  /** production steps: units the bucket's runs and files call for (null for steps planned elsewhere) */
  expected: number | null;
  /** production steps: expected units that have a job (re-planned chunks count once) */
  planned: number | null;
  /** production steps: expected units whose job is final */
  finalUnits: number | null;
}

export interface ProductionEta {
  /** expected units of production steps not final yet (units that need no job, e.g. of a run without usable files, excluded) */
  remaining: number;
  /** jobs finished per second, observed over this bucket's production so far */
  jobsPerSecond: number | null;
  seconds: number | null;
  at: string | null;
}

export interface BucketProgress {
  bucket: string;
  stage: string;
  exp: number;
  firstRun: number;
  lastRun: number | null;
  runs: number;
  steps: StepProgress[];
  eta: ProductionEta;
}

const pct = (n: number, total: number) => (total === 0 ? 0 : Math.round((1000 * n) / total) / 10);

export async function bucketProgress(deps: Deps, name: string): Promise<BucketProgress> {
  const b = await findBucket(deps.prisma, name);
  const rows = await deps.prisma.$queryRaw<Array<{ step: string; state: string; errorClass: string | null; n: number; ein: bigint | null; eout: bigint | null }>>`
    SELECT step, state, "errorClass", count(*)::int AS n, sum("eventsIn")::bigint AS ein, sum("eventsOut")::bigint AS eout
    FROM "Job" WHERE "bucketId" = ${b.id} GROUP BY step, state, "errorClass"`;
  const runs = await deps.prisma.run.count({ where: { bucketId: b.id } });
  const order = deps.production.steps.map((s) => s.name);
  const bySteps = new Map<string, StepProgress>();
  for (const r of rows) {
    let s = bySteps.get(r.step);
    if (!s) {
      s = emptyStep(r.step);
      bySteps.set(r.step, s);
    }
    s.total += r.n;
    s.states[r.state] = (s.states[r.state] ?? 0) + r.n;
    if (r.state === 'failed' || r.state === 'held') s.errors[r.errorClass ?? 'unknown'] = (s.errors[r.errorClass ?? 'unknown'] ?? 0) + r.n;
    if (r.state === 'succeeded') {
      s.eventsIn += Number(r.ein ?? 0n);
      s.eventsOut += Number(r.eout ?? 0n);
    }
  }
  const prod = productionSteps(deps);
  const totals = await productionTotals(deps, b.id, prod);
  for (const t of totals) {
    const s = bySteps.get(t.step) ?? emptyStep(t.step);
    bySteps.set(t.step, s);
    Object.assign(s, { expected: t.expected, planned: t.planned, finalUnits: t.final });
  }
  for (const s of bySteps.values()) {
    s.percent = Object.fromEntries(Object.entries(s.states).map(([k, v]) => [k, pct(v, s.total)]));
    s.finalPercent = pct(FINAL_JOB_STATES.reduce((a, k) => a + (s.states[k] ?? 0), 0), s.total);
    s.succeededPercent = pct(s.states.succeeded ?? 0, s.total);
  }
  const steps = [...bySteps.values()].sort((a, b) => {
    const ia = order.indexOf(a.step);
    const ib = order.indexOf(b.step);
    return (ia < 0 ? 999 : ia) - (ib < 0 ? 999 : ib) || a.step.localeCompare(b.step);
  });
  return { bucket: b.name, stage: b.stage, exp: b.exp, firstRun: b.firstRun, lastRun: b.lastRun, runs, steps, eta: await eta(deps, b.id, prod.map((s) => s.name), totals) };
}

function emptyStep(step: string): StepProgress {
  return { step, total: 0, states: Object.fromEntries(jobLifecycle.list.map((x) => [x, 0])), percent: {}, finalPercent: 0, succeededPercent: 0, errors: {}, eventsIn: 0, eventsOut: 0, expected: null, planned: null, finalUnits: null };
}

/**
 * Expected, planned and final units per production step: file counts per run, and job slots. A slot is the key
 * without its /x… or /g… suffix (slotOf in domain/production-plan.ts), which for the bucket's own jobs is exactly
 * (step, variant, run, chunk). Grouping by the columns instead of the key's text (regexp_replace on every key) took a
 * 100,000-job bucket's progress from 244 to 148 ms (`npm run bench -- jobs`, progress_query_ms).
 */
async function productionTotals(deps: Deps, bucketId: number, steps: ReturnType<typeof productionSteps>) {
  const files = await deps.prisma.$queryRaw<RunFileCounts[]>`
    SELECT count(f.id)::int AS files, (count(f.id) FILTER (WHERE f.status IN ('corrupt', 'missing')))::int AS unusable,
      (count(f.id) FILTER (WHERE f.status = 'missing' OR (f.status = 'corrupt' AND f."flaggedAt" IS NULL)))::int AS "reportedBad"
    FROM "Run" r LEFT JOIN "RawFile" f ON f."runId" = r.id WHERE r."bucketId" = ${bucketId} GROUP BY r.id`;
  // a slot is final when every job it has is final (a failed chunk re-planned without its corrupt file is not)
  const slots = await deps.prisma.$queryRaw<SlotCount[]>`
    SELECT step, count(*)::int AS planned, (count(*) FILTER (WHERE done))::int AS final FROM (
      SELECT step, bool_and(state = ANY(${[...FINAL_JOB_STATES]}::text[])) AS done
      FROM "Job" WHERE "bucketId" = ${bucketId} AND step = ANY(${steps.map((s) => s.name)}::text[]) AND "campaignId" IS NULL
      GROUP BY step, variant, run, chunk) s
    GROUP BY step`;
  return expectedUnits(steps, deps.production.skims, files, slots);
}

async function eta(deps: Deps, bucketId: number, steps: string[], totals: StepTotals[]): Promise<ProductionEta> {
  const remaining = totals.reduce((a, t) => a + Math.max(0, t.expected - t.final - t.settled), 0);
  const [r] = await deps.prisma.$queryRaw<Array<{ n: number; first: Date | null; last: Date | null }>>`
    SELECT count(*)::int AS n, min("finishedAt") AS first, max("finishedAt") AS last FROM "Job"
    WHERE "bucketId" = ${bucketId} AND step = ANY(${steps}::text[]) AND state = ANY(${[...FINAL_JOB_STATES]}::text[]) AND "startedAt" IS NOT NULL AND "finishedAt" IS NOT NULL`;
  const span = r?.first && r.last ? (r.last.getTime() - r.first.getTime()) / 1000 : 0;
  // between the first and the last finish of jobs that ran (one clock: the executor's; jobs cancelled before they
  // started carry the server's), so the rate is of this bucket's production
  const jobsPerSecond = r && r.n > 1 && span > 0 ? (r.n - 1) / span : null;
  if (remaining === 0) return { remaining, jobsPerSecond, seconds: 0, at: null };
  if (!jobsPerSecond) return { remaining, jobsPerSecond, seconds: null, at: null };
  const seconds = Math.round(remaining / jobsPerSecond);
  return { remaining, jobsPerSecond: Number(jobsPerSecond.toPrecision(3)), seconds, at: new Date(deps.clock.now().getTime() + seconds * 1000).toISOString() };
}
