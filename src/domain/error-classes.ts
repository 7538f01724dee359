/**
 * Why a job failed, decided in one table. Seed 003: "the same error code for different causes" was the top pain, so
 * the class comes from the engine-neutral end reason first (the executor knows its engine's states) and the exit code
 * second, and every row says why.
 *
 * | # | when | class | what the job engine does (src/domain/retry-policy.ts) |
 * |---|---|---|---|
 * | 1 | end reason `out_of_memory` | resource | retry with more memory (×factor, capped); at the cap: held |
 * | 2 | end reason `timeout`, `node_failure`, `preempted`, `lost` | site | retry with exponential backoff (`notBefore`) |
 * | 3 | end reason `cancelled` (by the engine or an operator outside calibloop) | site | retry with backoff |
 * | 4 | exit code 65 (`input error: …`, docs/contracts.md) | input | no retry; the raw files named in the message are flagged `corrupt`, and the run |
 * | 5 | exit code 137 or signal SIGKILL without an engine reason | resource | the kernel's OOM killer is the usual sender; retry with more memory |
 * | 6 | exit code 0 but declared outputs missing or empty (output verification) | software | limited retries |
 * | 7 | any other non-zero exit | software | limited retries |
 */
import type { EndReason } from '../executors/executor.ts';

export const ERROR_CLASSES = {
  input: 'input',
  software: 'software',
  site: 'site',
  resource: 'resource',
} as const;
export type ErrorClass = (typeof ERROR_CLASSES)[keyof typeof ERROR_CLASSES];
export const ERROR_CLASS_LIST = Object.values(ERROR_CLASSES) as ErrorClass[];

/** The toolkit's (and our convention's) exit code for unreadable or corrupt input. */
export const INPUT_ERROR_EXIT_CODE = 65;

export interface FailureFacts {
  reason?: EndReason | null;
  exitCode?: number | null;
  /** engine detail such as "signal SIGKILL" */
  detail?: string | null;
  /** set when the program exited 0 but output verification failed */
  outputProblem?: string | null;
}

export interface Classification {
  errorClass: ErrorClass;
  /** which rule of the table decided, in words, for the job record */
  rule: string;
}

interface Rule {
  rule: string;
  errorClass: ErrorClass;
  matches(f: FailureFacts): boolean;
}

const SITE_REASONS: readonly EndReason[] = ['timeout', 'node_failure', 'preempted', 'lost'];

export const ERROR_CLASS_RULES: readonly Rule[] = [
  { rule: 'engine reports out of memory', errorClass: 'resource', matches: (f) => f.reason === 'out_of_memory' },
  { rule: 'engine reports a site problem (timeout, node failure, pre-emption, lost)', errorClass: 'site', matches: (f) => !!f.reason && SITE_REASONS.includes(f.reason) },
  { rule: 'cancelled outside calibloop', errorClass: 'site', matches: (f) => f.reason === 'cancelled' },
  { rule: `exit code ${INPUT_ERROR_EXIT_CODE}: input error`, errorClass: 'input', matches: (f) => f.exitCode === INPUT_ERROR_EXIT_CODE },
  { rule: 'killed by SIGKILL (exit 137): out of memory', errorClass: 'resource', matches: (f) => f.exitCode === 137 || /SIGKILL/.test(f.detail ?? '') },
  { rule: 'exit 0 but outputs missing or empty', errorClass: 'software', matches: (f) => !!f.outputProblem },
  { rule: 'non-zero exit: software error', errorClass: 'software', matches: () => true },
];

export function classifyFailure(facts: FailureFacts): Classification {
  const r = ERROR_CLASS_RULES.find((x) => x.matches(facts))!;
  return { errorClass: r.errorClass, rule: r.rule };
}

export function isErrorClass(s: string): s is ErrorClass {
  return (ERROR_CLASS_LIST as string[]).includes(s);
}

/**
 * The input files an input-error message names (the toolkit writes `input error: <path>: …`). Only paths the job
 * actually read are returned, so a message never flags an unrelated file; when the job had a single input, that input
 * is the culprit even if the message does not name it.
 */
export function culpritInputs(message: string, inputs: readonly string[]): string[] {
  const named = inputs.filter((p) => message.includes(p));
  if (named.length > 0) return named;
  return inputs.length === 1 ? [...inputs] : [];
}
