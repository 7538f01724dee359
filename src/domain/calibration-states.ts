/**
 * Lifecycles of the calibration loop: one calibration of one bucket (CalibrationRun), its iterations, the payload
 * candidates it produces and the algorithm requests of detector experts. Pure: no database, no clock.
 *
 * CalibrationRun stages
 *
 * | stage           | entered when                                                   | what happens                 | exits to |
 * |-----------------|----------------------------------------------------------------|------------------------------|----------|
 * | waiting         | the bucket is planned, or an algorithm request is approved     | waits for its dependencies   | running, not_enough_data, blocked |
 * | running         | every dependency produced payloads and the inputs suffice      | one job per iteration        | converged, stopped, not_enough_data, failed |
 * | converged       | the algorithm answered `converged`                             | payload candidates await the manager | rejected |
 * | stopped         | the algorithm still answered `iterate` at `max_iterations`     | the last iteration's payloads are candidates, flagged (sPHENIX STOP) | rejected |
 * | not_enough_data | inputs missing or too small (plan, start) or the algorithm said so | nothing produced; dependents blocked | — (resubmit) |
 * | failed          | the job failed for good, or the algorithm answered `failed`    | dependents blocked           | — (resubmit) |
 * | blocked         | a dependency ended without payloads (or its payload was rejected) | nothing runs               | waiting (the dependency was re-run and produced payloads) |
 * | rejected        | the manager rejected one of its payloads                       | back to its detector expert  | — (resubmit) |
 *
 * "Resubmit" means: the detector expert submits an algorithm request for the same calibration and bucket; once the
 * manager approves it, a new CalibrationRun starts in `waiting` and supersedes this one.
 */
import { defineLifecycle, type StateOf } from './lifecycle.ts';

export const calibrationLifecycle = defineLifecycle('calibration', {
  waiting: ['running', 'not_enough_data', 'blocked'],
  running: ['converged', 'stopped', 'not_enough_data', 'failed'],
  converged: ['rejected'],
  stopped: ['rejected'],
  not_enough_data: [],
  failed: [],
  blocked: ['waiting'],
  rejected: [],
});
export type CalibrationStage = StateOf<typeof calibrationLifecycle>;

/** Stages in which nothing more happens without a human (a request, an approval). */
export const FINISHED_CALIBRATION_STAGES: readonly CalibrationStage[] = [
  'converged',
  'stopped',
  'not_enough_data',
  'failed',
  'blocked',
  'rejected',
];

/** Stages whose payloads exist and may be read by dependents (the staging payloads). */
export const PRODUCING_STAGES: readonly CalibrationStage[] = ['converged', 'stopped'];

/** Stages after which dependents cannot run: no payload to read. */
export const DEAD_END_STAGES: readonly CalibrationStage[] = ['not_enough_data', 'failed', 'blocked', 'rejected'];

export const isFinishedCalibration = (s: string) => (FINISHED_CALIBRATION_STAGES as readonly string[]).includes(s);
export const isProducing = (s: string) => (PRODUCING_STAGES as readonly string[]).includes(s);
export const isDeadEnd = (s: string) => (DEAD_END_STAGES as readonly string[]).includes(s);

// ───────────────────────────── iterations ─────────────────────────────

/** What one iteration of an algorithm answered (Belle II CAF AlgorithmResult). */
export const ITERATION_OUTCOMES = {
  converged: 'converged',
  iterate: 'iterate',
  not_enough_data: 'not_enough_data',
  failed: 'failed',
} as const;
export type IterationOutcome = (typeof ITERATION_OUTCOMES)[keyof typeof ITERATION_OUTCOMES];
export const isIterationOutcome = (s: unknown): s is IterationOutcome => typeof s === 'string' && s in ITERATION_OUTCOMES;

export type IterationDecision =
  | { kind: 'next'; iteration: number }
  | { kind: 'finish'; stage: Extract<CalibrationStage, 'converged' | 'stopped' | 'not_enough_data' | 'failed'>; reason: string };

/**
 * What follows an iteration. Iterations count from 0 (as the CAF does), so `max_iterations: 5` allows 0..4; an
 * `iterate` answer at the last allowed iteration ends the calibration as `stopped` — a result of its own, never
 * silently reported as converged.
 */
export function decideAfterIteration(input: { outcome: IterationOutcome; iteration: number; maxIterations: number }): IterationDecision {
  const { outcome, iteration, maxIterations } = input;
  switch (outcome) {
    case 'converged':
      return { kind: 'finish', stage: 'converged', reason: `converged at iteration ${iteration}` };
    case 'not_enough_data':
      return { kind: 'finish', stage: 'not_enough_data', reason: `algorithm reported not enough data at iteration ${iteration}` };
    case 'failed':
      return { kind: 'finish', stage: 'failed', reason: `algorithm failed at iteration ${iteration}` };
    case 'iterate':
      if (iteration + 1 >= maxIterations) {
        return {
          kind: 'finish',
          stage: 'stopped',
          reason: `stopped at the iteration bound: iteration ${iteration} of max_iterations ${maxIterations} still asked to iterate`,
        };
      }
      return { kind: 'next', iteration: iteration + 1 };
  }
}

// ───────────────────────────── payload candidates ─────────────────────────────

/**
 * | state      | entered when                               | exits to |
 * |------------|--------------------------------------------|----------|
 * | pending    | collected from a finished calibration      | approved, rejected, superseded |
 * | approved   | the manager approved it                    | rejected (the manager changed their mind before the running update); superseded (a newer run of the calibration replaced it) |
 * | rejected   | the manager rejected it (comment required) | — |
 * | superseded | a newer run of the same calibration produced its own candidates | — |
 */
export const candidateLifecycle = defineLifecycle('payload candidate', {
  pending: ['approved', 'rejected', 'superseded'],
  approved: ['rejected', 'superseded'],
  rejected: [],
  superseded: [],
});
export type CandidateState = StateOf<typeof candidateLifecycle>;

// ───────────────────────────── algorithm requests ─────────────────────────────

/**
 * | state     | entered when                                       | exits to |
 * |-----------|----------------------------------------------------|----------|
 * | submitted | a detector expert (or the manager) submitted it    | approved, rejected |
 * | rejected  | the manager rejected it (comment)                  | — |
 * | approved  | the manager approved it; its CalibrationRun waits  | running, done, failed |
 * | running   | its CalibrationRun started                         | done, failed |
 * | done      | its CalibrationRun produced payloads               | — |
 * | failed    | its CalibrationRun ended without payloads          | — |
 */
export const requestLifecycle = defineLifecycle('algorithm request', {
  submitted: ['approved', 'rejected'],
  approved: ['running', 'done', 'failed'],
  running: ['done', 'failed'],
  rejected: [],
  done: [],
  failed: [],
});
export type RequestState = StateOf<typeof requestLifecycle>;

/** The request state that mirrors a calibration stage (undefined: leave the request as it is). */
export function requestStateFor(stage: CalibrationStage): RequestState | undefined {
  if (stage === 'running') return 'running';
  if (stage === 'converged' || stage === 'stopped') return 'done';
  if (stage === 'not_enough_data' || stage === 'failed') return 'failed';
  // blocked can still turn into waiting when the dependency is re-run; rejected comes after the request was done.
  return undefined;
}
