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
 * | 4 | exit code 65 and the message names a conditions payload or local database file (`dbstore_*.root`, `database.txt`) | conditions | no retry; the payload is named in the job record and no raw file is blamed (a bad fix is not a bad run) |
 * | 5 | exit code 65 (`input error: …`, docs/contracts.md) | input | no retry; only raw files that are inputs of the job *and* named in the message are flagged `corrupt` (then the run too) |
 * | 6 | exit code 137 or signal SIGKILL without an engine reason | resource | the kernel's OOM killer is the usual sender; retry with more memory |
 * | 7 | exit code 0 but declared outputs missing or empty (output verification) | software | limited retries |
 * | 8 | any other non-zero exit | software | limited retries |
 */
import type { EndReason } from '../executors/executor.ts';

export const ERROR_CLASSES = {
  input: 'input',
  conditions: 'conditions',
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
  /** the program's error message (names the file it could not read) */
  message?: string | null;
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
  {
    rule: `exit code ${INPUT_ERROR_EXIT_CODE} on a conditions payload: conditions error`,
    errorClass: 'conditions',
    matches: (f) => f.exitCode === INPUT_ERROR_EXIT_CODE && conditionsPayloadIn(f.message ?? '') !== undefined,
  },
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

/** The conditions file (payload or local database index) an error message names, if any. */
export function conditionsPayloadIn(message: string): string | undefined {
  return /(\S*dbstore_[^\s:/]+\.root|\S*database\.txt)(?=[:\s]|$)/.exec(message)?.[1];
}

/**
 * The input files an input-error message names (the toolkit writes `input error: <path>: …`). Only paths the job
 * actually read *and* the message names are returned: a message that names no input (or names a conditions payload)
 * blames no file, whatever the number of inputs — blame only what is proven.
 */
export function culpritInputs(message: string, inputs: readonly string[]): string[] {
  return inputs.filter((p) => message.includes(p));
}
