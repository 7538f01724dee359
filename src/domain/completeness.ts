/**
 * "Is run R complete for step S, and what is missing?" (an operator must always be able to tell whether a run has
 * been completely processed). Derived from the same units that planning uses (production-plan.ts), so the answer is
 * definite and names a reason for everything missing.
 *
 * | status | meaning |
 * |---|---|
 * | complete | every unit produced its outputs from every raw file (through every step before it) and none is stale |
 * | incomplete | final, but something is missing for a stated reason (input error on file X, job failed after its retries, cancelled, file missing at the source, no input produced, or an input step left a file out: the reason chain says which file and why) |
 * | in_progress | jobs are pending or about to be planned, or an output is stale (its inputs were re-produced) and is being redone |
 * | waiting | the run is not ready yet (files not transferred, input step not finished), or jobs are held for a manager |
 * | not_planned | production has not started for the run (its bucket is still open, or the run is in no bucket) |
 */
import type { Unit } from './production-plan.ts';

export const MISSING_KINDS = ['input_error', 'conditions_error', 'failed', 'cancelled', 'held', 'excluded_file', 'no_input', 'stale', 'pending', 'not_planned', 'waiting'] as const;
export type MissingKind = (typeof MISSING_KINDS)[number];
const FINAL_KINDS: readonly MissingKind[] = ['input_error', 'conditions_error', 'failed', 'cancelled', 'excluded_file', 'no_input'];

export interface Missing {
  variant: string;
  chunk: number;
  kind: MissingKind;
  reason: string;
  jobId?: number;
  file?: string;
  /** one line a manager reads: "cdst hlt_bhabha of 8/1932: made without e8_r1932_f2.b2raw — …" */
  chain: string;
}

export type CompletenessStatus = 'complete' | 'incomplete' | 'in_progress' | 'waiting' | 'not_planned';

export interface StepCompleteness {
  step: string;
  status: CompletenessStatus;
  complete: boolean;
  /** nothing more will happen without a person acting */
  final: boolean;
  units: number;
  produced: number;
  missing: Missing[];
}

export function stepCompleteness(step: string, units: readonly Unit[]): StepCompleteness {
  const missing: Missing[] = [];
  let produced = 0;
  for (const u of units) {
    const label = `${step}${u.variant ? ` ${u.variant}` : ''} of ${u.exp}/${u.run}`;
    const add = (m: Omit<Missing, 'variant' | 'chunk' | 'chain'>) => missing.push({ variant: u.variant, chunk: u.chunk, ...m, chain: `${label}: ${m.reason}` });
    for (const e of u.excluded) add({ kind: 'excluded_file', reason: e.reason, file: e.path, ...(e.jobId !== undefined ? { jobId: e.jobId } : {}) });
    if (u.stale) add({ kind: 'stale', reason: `stale: ${u.stale}`, ...(u.job ? { jobId: u.job.id } : {}) });
    switch (u.status) {
      case 'waiting':
        add({ kind: 'waiting', reason: u.reason ?? 'not ready' });
        break;
      case 'to_plan':
        if (!u.stale) add({ kind: 'not_planned', reason: 'ready; planned by the next production tick' });
        break;
      case 'nothing_to_do':
        if (u.excluded.length === 0) add({ kind: 'no_input', reason: u.reason ?? 'no input' });
        break;
      case 'planned': {
        const j = u.job!;
        if (j.state === 'succeeded') {
          if (!u.stale) produced++;
        } else if (j.state === 'failed') {
          add({ kind: j.errorClass === 'input' ? 'input_error' : j.errorClass === 'conditions' ? 'conditions_error' : 'failed', reason: `${j.errorClass ?? 'unknown'} error in ${step} job ${j.id} after ${j.attempts} attempt(s): ${j.errorMessage ?? ''}`.trim(), jobId: j.id });
        } else if (j.state === 'cancelled') add({ kind: 'cancelled', reason: `job ${j.id} cancelled: ${j.errorMessage ?? 'by a manager'}`, jobId: j.id });
        else if (j.state === 'held') add({ kind: 'held', reason: `held for a manager: ${j.errorMessage ?? ''}`.trim(), jobId: j.id });
        else add({ kind: 'pending', reason: `job ${j.id} is ${j.state}`, jobId: j.id });
        break;
      }
    }
  }
  const final = missing.every((m) => FINAL_KINDS.includes(m.kind));
  const complete = missing.length === 0 && units.length > 0;
  const status: CompletenessStatus = complete
    ? 'complete'
    : final && units.length > 0
      ? 'incomplete'
      : missing.some((m) => m.kind === 'pending' || m.kind === 'not_planned' || m.kind === 'stale')
        ? 'in_progress'
        : 'waiting';
  return { step, status, complete, final: final && units.length > 0, units: units.length, produced, missing };
}
