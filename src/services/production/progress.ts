/**
 * The table production managers read every week: per bucket × step × state, counts and percentages, events in and
 * out, failures by error class. One GROUP BY over the job table (index bucketId, step, state).
 */
import type { Deps } from '../../deps.ts';
import { jobLifecycle, FINAL_JOB_STATES } from '../../domain/job-states.ts';
import { findBucket } from '../buckets/bucket-data.ts';

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
}

export interface BucketProgress {
  bucket: string;
  stage: string;
  exp: number;
  firstRun: number;
  lastRun: number | null;
  runs: number;
  steps: StepProgress[];
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
      s = { step: r.step, total: 0, states: Object.fromEntries(jobLifecycle.list.map((x) => [x, 0])), percent: {}, finalPercent: 0, succeededPercent: 0, errors: {}, eventsIn: 0, eventsOut: 0 };
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
  return { bucket: b.name, stage: b.stage, exp: b.exp, firstRun: b.firstRun, lastRun: b.lastRun, runs, steps };
}
