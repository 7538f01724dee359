/**
 * The production tick: closed buckets start producing, producing buckets get their ready units planned (the job
 * engine, its own tick, submits them: `services/jobs/run-job-tick.ts`), and buckets whose production is final move
 * on — `produced`, or `failed` when not a single output of the last step came out. A bucket whose runs, files, jobs
 * and outputs have not changed since its last plan is not planned again (plan-change-mark.ts). Idempotent and safe on several
 * instances: plans are keyed, jobs and stages move compare-and-set.
 */
import type { Deps } from '../../deps.ts';
import { SYSTEM_ACTOR } from '../../domain/roles.ts';
import { coerceError } from '../../domain/errors.ts';
import { stepCompleteness } from '../../domain/completeness.ts';
import { PENDING_JOB_STATES } from '../../domain/job-states.ts';
import { failBucket, transitionBucket } from '../buckets/transition-bucket.ts';
import { planBucketProduction, type PlanResult } from './plan-production.ts';
import { planChangeMarks, rememberPlan, unchangedSince } from './plan-change-mark.ts';

import { productionSteps } from './bucket-units.ts';

type PlanSummary = Omit<PlanResult, 'units'>;

export interface ProductionTickResult {
  started: string[];
  planned: PlanSummary[];
  finished: Array<{ bucket: string; stage: string }>;
}

export async function runProductionTick(deps: Deps): Promise<ProductionTickResult> {
  const { prisma } = deps;
  const result: ProductionTickResult = { started: [], planned: [], finished: [] };
  for (const b of await prisma.bucket.findMany({ where: { stage: 'closed' }, orderBy: { id: 'asc' } })) {
    if (await transitionBucket(deps, b, 'producing', SYSTEM_ACTOR, { reason: 'production started: planning skim and cDST jobs' })) result.started.push(b.name);
  }
  const producing = await prisma.bucket.findMany({ where: { stage: 'producing' }, orderBy: { id: 'asc' } });
  const plans = new Map<number, PlanSummary>();
  const steps = productionSteps(deps);
  const marks = await planChangeMarks(deps, producing.map((b) => b.id));
  for (const b of producing) {
    let p: PlanSummary;
    try {
      const mark = marks.get(b.id)!;
      const memo = unchangedSince<PlanSummary>(deps, b.id, mark);
      if (memo) {
        plans.set(b.id, memo.summary);
        continue;
      }
      const { units: _units, ...summary } = await planBucketProduction(deps, b);
      p = summary;
      // the mark read before planning: anything that changed while planning (the jobs just created included) differs
      // from it, so the next tick plans again rather than miss a change
      rememberPlan(deps, b.id, mark, p);
    } catch (e) {
      // one bucket's problem must not stop the job engine for all the others
      deps.logger.error('production planning failed for a bucket; retried next tick', { bucket: b.name, error: coerceError(e).message });
      continue;
    }
    plans.set(b.id, p);
    if (p.created > 0 || p.toPlan > 0) result.planned.push(p);
  }
  for (const b of producing) {
    const p = plans.get(b.id);
    if (!p || p.toPlan > 0 || p.waiting > 0 || p.runs === 0) continue;
    const pending = await prisma.job.count({ where: { bucketId: b.id, step: { in: steps.map((s) => s.name) }, state: { in: [...PENDING_JOB_STATES, 'held'] } } });
    if (pending > 0) continue;
    // every unit planned and every job final: only units whose jobs just finished could still add work downstream
    const again = await planBucketProduction(deps, b);
    if (again.toPlan > 0 || again.waiting > 0 || again.created > 0) continue;
    const last = steps[steps.length - 1];
    const summary: Record<string, Record<string, number>> = {};
    for (const s of steps) {
      const counts: Record<string, number> = {};
      for (const ru of again.units) {
        const c = stepCompleteness(s.name, ru.units.filter((u) => u.step === s.name));
        counts[c.status] = (counts[c.status] ?? 0) + 1;
      }
      summary[s.name] = counts;
    }
    const outputs = await prisma.outputFile.count({ where: { bucketId: b.id, step: last.name } });
    if (outputs === 0) {
      if (await failBucket(deps, b, SYSTEM_ACTOR, `production ended without a single ${last.name} output`, { runs: summary })) result.finished.push({ bucket: b.name, stage: 'failed' });
    } else if (await transitionBucket(deps, b, 'produced', SYSTEM_ACTOR, { reason: `production final: ${outputs} ${last.name} file(s)`, data: { productionSummary: summary }, details: { runs: summary } })) {
      result.finished.push({ bucket: b.name, stage: 'produced' });
    }
  }
  return result;
}
