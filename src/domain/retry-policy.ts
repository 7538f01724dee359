/**
 * What happens after a failed attempt, per error class (src/domain/error-classes.ts). Retries are always bounded: by
 * the job's `maxAttempts` (all classes together) and by the class's own limit. Seed 004 had jobs "resubmitted
 * forever" and held jobs recovered "by resubmitting with higher memory allowance"; both are rules here.
 *
 * | class | decision |
 * |---|---|
 * | input | fail at once; the input is flagged (retrying cannot fix a corrupt file) |
 * | conditions | fail at once; the payload is named (a bad payload is fixed by a person, then the job resubmitted) |
 * | software | retry after a short delay while attempts < min(maxAttempts, software.maxAttempts); then fail |
 * | site | retry with exponential backoff base × factor^(attempt−1), capped, while attempts < maxAttempts; then fail |
 * | resource | retry with memory × factor (capped at maxMemoryMb) while attempts < maxAttempts; when the memory is already at the cap: hold for a manager; when attempts are used up: fail |
 */
import type { ErrorClass } from './error-classes.ts';

export interface RetryPolicy {
  site: { backoffS: number; factor: number; maxBackoffS: number };
  software: { maxAttempts: number; delayS: number };
  resource: { memoryFactor: number; maxMemoryMb: number };
}

export const DEFAULT_RETRY_POLICY: RetryPolicy = {
  site: { backoffS: 60, factor: 2, maxBackoffS: 3600 },
  software: { maxAttempts: 2, delayS: 30 },
  resource: { memoryFactor: 1.5, maxMemoryMb: 16_384 },
};

export type RetryDecision =
  | { action: 'retry'; notBefore: Date; memoryMb: number; why: string }
  | { action: 'fail'; why: string }
  | { action: 'hold'; why: string };

export interface AttemptFacts {
  errorClass: ErrorClass;
  /** attempts made so far, including the one that just failed */
  attempts: number;
  maxAttempts: number;
  memoryMb: number;
  now: Date;
}

export function decideRetry(policy: RetryPolicy, f: AttemptFacts): RetryDecision {
  const later = (s: number) => new Date(f.now.getTime() + s * 1000);
  const exhausted = f.attempts >= f.maxAttempts;
  switch (f.errorClass) {
    case 'input':
      return { action: 'fail', why: 'input error: not retried, the input is flagged' };
    case 'conditions':
      return { action: 'fail', why: 'conditions error: not retried until the payload is fixed' };
    case 'software': {
      const limit = Math.min(f.maxAttempts, policy.software.maxAttempts);
      if (f.attempts >= limit) return { action: 'fail', why: `software error on attempt ${f.attempts} of at most ${limit}` };
      return { action: 'retry', notBefore: later(policy.software.delayS), memoryMb: f.memoryMb, why: `software error, retry ${f.attempts + 1} of ${limit}` };
    }
    case 'site': {
      if (exhausted) return { action: 'fail', why: `site error on the last attempt (${f.attempts} of ${f.maxAttempts})` };
      const delay = Math.min(policy.site.maxBackoffS, policy.site.backoffS * policy.site.factor ** (f.attempts - 1));
      return { action: 'retry', notBefore: later(delay), memoryMb: f.memoryMb, why: `site error, retry in ${delay} s` };
    }
    case 'resource': {
      if (exhausted) return { action: 'fail', why: `out of memory on the last attempt (${f.attempts} of ${f.maxAttempts}) at ${f.memoryMb} MiB` };
      if (f.memoryMb >= policy.resource.maxMemoryMb) {
        return { action: 'hold', why: `out of memory at the cap of ${policy.resource.maxMemoryMb} MiB: held for a manager` };
      }
      const memoryMb = Math.min(policy.resource.maxMemoryMb, Math.ceil(f.memoryMb * policy.resource.memoryFactor));
      return { action: 'retry', notBefore: f.now, memoryMb, why: `out of memory at ${f.memoryMb} MiB, retry with ${memoryMb} MiB` };
    }
  }
}
