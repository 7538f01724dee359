/**
 * The lifecycle of one job (any step: hlt_skim, cdst, calibration, prompt_mdst, reprocessing). The job engine
 * (src/services/jobs) persists every move compare-and-set on (id, state, attempts), so two server instances never
 * submit or finish the same job twice.
 *
 * | state | entered | what happens | left |
 * |---|---|---|---|
 * | created | `createJobs` (INSERT … ON CONFLICT DO NOTHING on the idempotency key), a retry, or a manager's resubmit | waits until `notBefore` (retry backoff) and its turn by priority | submitted when the job tick claims it (attempts + 1); cancelled; held |
 * | submitted | job tick, before calling `executor.submit` (so a crash between the two is recovered with the same attempt key, never submitted twice) | the executor queues it | running when the executor says so; or straight to a final outcome |
 * | running | job tick (poll) | heartbeat refreshed on every poll; stall detection asks the executor when it stops | succeeded after output verification; created again for a retry (with backoff / more memory); failed; held; cancelled |
 * | succeeded | outcome with exit 0 and every declared output present, non-empty, checksummed and registered | — | final |
 * | failed | input error (no retry), attempts exhausted, or retries of the class used up | the error class and message say why | created by a manager's resubmit (fresh attempt budget) |
 * | held | a resource failure at the memory cap (as sPHENIX holds over-memory jobs), or a manager | not submitted | created by resubmit (optionally with more memory); cancelled |
 * | cancelled | a manager's abort (executor asked to cancel) | — | created by resubmit |
 *
 * Final states: succeeded, failed, cancelled. Active states (the executor may be running it): submitted, running.
 */
import { defineLifecycle, type StateOf } from './lifecycle.ts';

export const jobLifecycle = defineLifecycle('job', {
  created: ['submitted', 'cancelled', 'held'],
  submitted: ['running', 'succeeded', 'failed', 'created', 'held', 'cancelled'],
  running: ['succeeded', 'failed', 'created', 'held', 'cancelled'],
  succeeded: [],
  failed: ['created'],
  held: ['created', 'cancelled'],
  cancelled: ['created'],
});
export type JobState = StateOf<typeof jobLifecycle>;

export const FINAL_JOB_STATES: readonly JobState[] = ['succeeded', 'failed', 'cancelled'];
export const ACTIVE_JOB_STATES: readonly JobState[] = ['submitted', 'running'];
/** Not final: the job may still produce its outputs without anyone acting. */
export const PENDING_JOB_STATES: readonly JobState[] = ['created', 'submitted', 'running'];
/** States a manager's abort applies to. */
export const ABORTABLE_JOB_STATES: readonly JobState[] = ['created', 'submitted', 'running', 'held'];
/** States a manager's resubmit applies to. */
export const RESUBMITTABLE_JOB_STATES: readonly JobState[] = ['failed', 'held', 'cancelled'];

export function isFinalJobState(s: string): boolean {
  return (FINAL_JOB_STATES as string[]).includes(s);
}

/** The states every `from` in `froms` may leave for `to` (used to build set-based CAS updates). */
export const statesThatMayMoveTo = jobLifecycle.statesThatMayMoveTo;
