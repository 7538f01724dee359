/**
 * The fix window of a bucket (CMS Tier-0 holds prompt reconstruction 48 h the same way): after prompt
 * processing, detector experts may put corrected payloads into the auxiliary fixing tag until a stored deadline.
 *
 * Window states:
 * - `open`: entered when prompt processing of the bucket finishes (deadline = opening time + configured hours). Fixes
 *   are accepted while the clock's now is before the deadline. The calibration manager may extend the deadline or
 *   close the window early (both with a reason). Exits when the close-expired-windows tick sees now >= deadline, or
 *   on an early close.
 * - `closed`: final. Uploads are refused; the final tag is assembled and offered for blessing.
 *
 * A window whose deadline has passed but which the tick has not settled yet (the server was down) counts as closed
 * for every decision here: the deadline is the truth, the tick only records it.
 */
import { DomainError, invalid, ruleViolation } from './errors.ts';
import { defineLifecycle, type StateOf } from './lifecycle.ts';

export const fixWindowLifecycle = defineLifecycle('fix window', {
  open: ['closed'],
  closed: [],
});
export type WindowState = StateOf<typeof fixWindowLifecycle>;

/** pending → approved | rejected; a decision is final. */
export const fixLifecycle = defineLifecycle('fix', {
  pending: ['approved', 'rejected'],
  approved: [],
  rejected: [],
});
export type FixState = StateOf<typeof fixLifecycle>;

/** Longest a window may be kept open in total, so a typo in an extension cannot hold a bucket for a year. */
export const MAX_WINDOW_MS = 90 * 24 * 3600_000;

export interface WindowView {
  state: WindowState | string;
  openedAt: Date;
  deadline: Date;
}

export function deadlineAfter(openedAt: Date, hours: number): Date {
  if (!(hours > 0)) throw invalid(`fix window length must be positive, got ${hours} h`);
  return new Date(openedAt.getTime() + Math.round(hours * 3600_000));
}

/** Open in the sense that matters: stored state open and the deadline not reached at `now`. */
export function isAcceptingFixes(w: WindowView, now: Date): boolean {
  return w.state === 'open' && now.getTime() < w.deadline.getTime();
}

/** Due for the close-expired-windows tick. */
export function isExpired(w: WindowView, now: Date): boolean {
  return w.state === 'open' && now.getTime() >= w.deadline.getTime();
}

/** Within the closing-soon lead time before the deadline (and not yet past it). */
export function isClosingSoon(w: WindowView, now: Date, leadMs: number): boolean {
  if (!isAcceptingFixes(w, now) || leadMs <= 0) return false;
  return now.getTime() >= w.deadline.getTime() - leadMs;
}

export function remainingMs(w: WindowView, now: Date): number {
  return Math.max(0, w.deadline.getTime() - now.getTime());
}

function assertOpenAt(w: WindowView, now: Date, what: string): void {
  if (w.state !== 'open') throw ruleViolation(`the fix window is closed; cannot ${what}`);
  if (now.getTime() >= w.deadline.getTime()) {
    throw ruleViolation(`the fix window expired at ${w.deadline.toISOString()}; cannot ${what}`, { deadline: w.deadline.toISOString() });
  }
}

function assertReason(reason: string | undefined): string {
  const r = (reason ?? '').trim();
  if (r.length === 0) throw invalid('a reason is required', [{ path: 'body.reason', message: 'required' }]);
  return r;
}

/**
 * The new deadline of an extension: either `hours` more than the current deadline or an explicit later time.
 * Refused when the window is no longer open at `now` (extending a window that already ran out would reopen it
 * behind the experts' backs), when the new deadline is not later, or when the window would exceed MAX_WINDOW_MS.
 */
export function planExtension(
  w: WindowView,
  now: Date,
  request: { hours?: number; until?: Date; reason?: string },
): { deadline: Date; reason: string } {
  const reason = assertReason(request.reason);
  assertOpenAt(w, now, 'extend it');
  if ((request.hours === undefined) === (request.until === undefined)) {
    throw invalid('give either hours or until', [{ path: 'body', message: 'exactly one of hours, until' }]);
  }
  const deadline =
    request.until !== undefined ? request.until : new Date(w.deadline.getTime() + Math.round(request.hours! * 3600_000));
  if (Number.isNaN(deadline.getTime())) throw invalid('until is not a valid time');
  if (deadline.getTime() <= w.deadline.getTime()) {
    throw ruleViolation(`the new deadline ${deadline.toISOString()} is not later than the current one ${w.deadline.toISOString()}`);
  }
  if (deadline.getTime() - w.openedAt.getTime() > MAX_WINDOW_MS) {
    throw ruleViolation(`a fix window may stay open at most ${MAX_WINDOW_MS / 86400_000} days`);
  }
  return { deadline, reason };
}

/** An early close by the calibration manager: only while open, always with a reason. */
export function planEarlyClose(w: WindowView, now: Date, reason: string | undefined): { reason: string } {
  const r = assertReason(reason);
  assertOpenAt(w, now, 'close it early');
  return { reason: r };
}

// ───────────────────────────── fix validation ─────────────────────────────

export interface BucketRange {
  exp: number;
  firstRun: number;
  lastRun: number;
}

export interface FixIov {
  firstExp: number;
  firstRun: number;
  finalExp: number;
  finalRun: number;
}

export interface FixProblem {
  path: string;
  message: string;
}

/**
 * A fix is for the bucket's runs only: a closed IoV (no open end, no "rest of the experiment") inside
 * [bucket.firstRun, bucket.lastRun] of the bucket's experiment. Anything wider would change the conditions of runs
 * another bucket was (or will be) processed with.
 */
export function iovProblems(iov: FixIov, bucket: BucketRange): FixProblem[] {
  const p: FixProblem[] = [];
  const ints = [iov.firstExp, iov.firstRun, iov.finalExp, iov.finalRun];
  if (!ints.every((n) => Number.isInteger(n))) return [{ path: 'iov', message: 'IoV bounds must be integers' }];
  if (iov.finalExp === -1 || iov.finalRun === -1) {
    p.push({ path: 'iov.finalRun', message: 'a fix IoV must be closed (no open end); it may only cover the bucket\'s runs' });
  }
  if (iov.firstExp !== bucket.exp || (iov.finalExp !== bucket.exp && iov.finalExp !== -1)) {
    p.push({ path: 'iov.firstExp', message: `a fix IoV must lie in experiment ${bucket.exp}` });
  }
  if (iov.firstRun < bucket.firstRun) {
    p.push({ path: 'iov.firstRun', message: `run ${iov.firstRun} is before the bucket's first run ${bucket.firstRun}` });
  }
  if (iov.finalRun !== -1 && iov.finalRun > bucket.lastRun) {
    p.push({ path: 'iov.finalRun', message: `run ${iov.finalRun} is after the bucket's last run ${bucket.lastRun}` });
  }
  if (iov.finalRun !== -1 && iov.firstExp === iov.finalExp && iov.finalRun < iov.firstRun) {
    p.push({ path: 'iov.finalRun', message: 'the IoV ends before it starts' });
  }
  return p;
}

export interface FixCheck {
  window: WindowView;
  bucket: BucketRange;
  iov: FixIov;
  /** detector the payload belongs to */
  detector: string;
  actor: { user: string; role: string; detectors: readonly string[] };
  now: Date;
}

/**
 * Every rule a fix upload must pass, checked before anything is written. Throws the first kind of refusal:
 * FORBIDDEN for another detector, RULE_VIOLATION for a closed window, INVALID_INPUT for an IoV outside the bucket.
 */
export function validateFix(c: FixCheck): void {
  if (c.actor.role === 'detector_expert' && !c.actor.detectors.includes(c.detector)) {
    throw new DomainError(
      'FORBIDDEN',
      `${c.actor.user} is a detector expert for ${c.actor.detectors.join(', ') || 'no detector'}, not for ${c.detector}`,
    );
  }
  if (c.window.state !== 'open' || c.now.getTime() >= c.window.deadline.getTime()) {
    const at = c.window.state === 'open' ? c.window.deadline : undefined;
    throw ruleViolation(
      `the fix window of this bucket is closed${at ? ` (deadline ${at.toISOString()} has passed)` : ''}; fixes are no longer accepted`,
    );
  }
  const problems = iovProblems(c.iov, c.bucket);
  if (problems.length > 0) {
    throw invalid(
      `the fix IoV must lie inside the bucket's runs ${c.bucket.exp}/${c.bucket.firstRun}-${c.bucket.lastRun}`,
      problems,
    );
  }
}

/** Maps payload names to detectors from the calibration definitions (`produced_payloads`, `detector`). */
export function detectorOfPayload(
  calibrations: readonly { detector: string; producedPayloads: readonly string[] }[],
  payloadName: string,
): string | undefined {
  for (const c of calibrations) if (c.producedPayloads.includes(payloadName)) return c.detector;
  return undefined;
}
