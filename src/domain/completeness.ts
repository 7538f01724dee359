/**
 * "Is run R complete for step S, and what is missing?" (an operator must always be able to tell whether a run has
 * been completely processed). Derived from the same units that planning uses (production-plan.ts), so the answer is
 * definite and names a reason for everything missing.
 *
 * | status | meaning |
 * |---|---|
 * | complete | every unit produced its outputs from every raw file |
 * | incomplete | final, but something is missing for a stated reason (input error on file X, job failed after its retries, cancelled, file missing at the source, no input produced) |
 * | in_progress | jobs are pending or about to be planned |
 * | waiting | the run is not ready yet (files not transferred, input step not finished), or jobs are held for a manager |
 * | not_planned | production has not started for the run (its bucket is still open, or the run is in no bucket) |
 */
import type { Unit } from './production-plan.ts';

export const MISSING_KINDS = ['input_error', 'failed', 'cancelled', 'held', 'excluded_file', 'no_input', 'pending', 'not_planned', 'waiting'] as const;
export type MissingKind = (typeof MISSING_KINDS)[number];
const FINAL_KINDS: readonly MissingKind[] = ['input_error', 'failed', 'cancelled', 'excluded_file', 'no_input'];

export interface Missing {
  variant: string;
  chunk: number;
  kind: MissingKind;
  reason: string;
  jobId?: number;
  file?: string;
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
    const at = { variant: u.variant, chunk: u.chunk };
    for (const e of u.excluded) missing.push({ ...at, kind: 'excluded_file', reason: e.reason, file: e.path });
    switch (u.status) {
      case 'waiting':
        missing.push({ ...at, kind: 'waiting', reason: u.reason ?? 'not ready' });
        break;
      case 'to_plan':
        missing.push({ ...at, kind: 'not_planned', reason: 'ready; planned by the next production tick' });
        break;
      case 'nothing_to_do':
        if (u.excluded.length === 0) missing.push({ ...at, kind: 'no_input', reason: u.reason ?? 'no input' });
        break;
      case 'planned': {
        const j = u.job!;
        if (j.state === 'succeeded') produced++;
        else if (j.state === 'failed') {
          missing.push({ ...at, kind: j.errorClass === 'input' ? 'input_error' : 'failed', reason: `${j.errorClass ?? 'unknown'} error after ${j.attempts} attempt(s): ${j.errorMessage ?? ''}`.trim(), jobId: j.id });
        } else if (j.state === 'cancelled') missing.push({ ...at, kind: 'cancelled', reason: 'cancelled by a manager', jobId: j.id });
        else if (j.state === 'held') missing.push({ ...at, kind: 'held', reason: `held for a manager: ${j.errorMessage ?? ''}`.trim(), jobId: j.id });
        else missing.push({ ...at, kind: 'pending', reason: `job is ${j.state}`, jobId: j.id });
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
      : missing.some((m) => m.kind === 'pending' || m.kind === 'not_planned')
        ? 'in_progress'
        : 'waiting';
  return { step, status, complete, final: final && units.length > 0, units: units.length, produced, missing };
}
