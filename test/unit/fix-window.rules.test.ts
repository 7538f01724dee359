import { test } from 'node:test';
import assert from 'node:assert/strict';
import { fixWindowLifecycle, fixLifecycle, deadlineAfter, isAcceptingFixes, isClosingSoon, isExpired, iovProblems, planEarlyClose, planExtension, validateFix, detectorOfPayload } from '../../src/domain/fix-window.ts';
import { DomainError } from '../../src/domain/errors.ts';

const opened = new Date('2026-11-01T00:00:00Z');
const open = { state: 'open', openedAt: opened, deadline: deadlineAfter(opened, 48) };
const at = (h: number) => new Date(opened.getTime() + h * 3600_000);
const bucket = { exp: 12, firstRun: 1, lastRun: 4 };
const expert = { user: 'ecl_expert', role: 'detector_expert', detectors: ['ecl'] };

function code(fn: () => unknown): string | undefined {
  try {
    fn();
  } catch (e) {
    return (e as DomainError).code;
  }
  return undefined;
}

test('when a window opens for 48 h, then the deadline is 48 h later and it accepts fixes until just before', () => {
  assert.equal(open.deadline.toISOString(), '2026-11-03T00:00:00.000Z');
  assert.ok(isAcceptingFixes(open, at(47.99)));
  assert.ok(!isAcceptingFixes(open, at(48)));
  assert.ok(isExpired(open, at(48)));
  assert.ok(!isExpired(open, at(47)));
  assert.ok(!isExpired({ ...open, state: 'closed' }, at(100)));
});

test('when the deadline is within the lead time, then the window is closing soon, and not after it expired', () => {
  const lead = 6 * 3600_000;
  assert.ok(!isClosingSoon(open, at(41.9), lead));
  assert.ok(isClosingSoon(open, at(42), lead));
  assert.ok(!isClosingSoon(open, at(48), lead));
  assert.ok(!isClosingSoon(open, at(47), 0));
});

test('when a manager extends by hours or to a time, then the new deadline is later; earlier, expired or reasonless extensions are refused', () => {
  assert.equal(planExtension(open, at(10), { hours: 24, reason: 'ECL needs a day' }).deadline.toISOString(), '2026-11-04T00:00:00.000Z');
  assert.equal(planExtension(open, at(10), { until: at(60), reason: 'x' }).deadline.getTime(), at(60).getTime());
  assert.equal(code(() => planExtension(open, at(10), { until: at(40), reason: 'x' })), 'RULE_VIOLATION');
  assert.equal(code(() => planExtension(open, at(49), { hours: 1, reason: 'x' })), 'RULE_VIOLATION');
  assert.equal(code(() => planExtension(open, at(10), { hours: 1, reason: ' ' })), 'INVALID_INPUT');
  assert.equal(code(() => planExtension(open, at(10), { reason: 'x' })), 'INVALID_INPUT');
  assert.equal(code(() => planExtension(open, at(10), { hours: 24 * 100, reason: 'x' })), 'RULE_VIOLATION');
  assert.equal(code(() => planExtension({ ...open, state: 'closed' }, at(10), { hours: 1, reason: 'x' })), 'RULE_VIOLATION');
});

test('when a manager closes early, then a reason is needed and the window must still be open', () => {
  assert.equal(planEarlyClose(open, at(1), 'all fixes in').reason, 'all fixes in');
  assert.equal(code(() => planEarlyClose(open, at(1), '')), 'INVALID_INPUT');
  assert.equal(code(() => planEarlyClose({ ...open, state: 'closed' }, at(1), 'x')), 'RULE_VIOLATION');
});

test('when a fix IoV lies inside the bucket, then it has no problem; open-ended, other experiment or outside runs are problems', () => {
  assert.deepEqual(iovProblems({ firstExp: 12, firstRun: 1, finalExp: 12, finalRun: 4 }, bucket), []);
  assert.deepEqual(iovProblems({ firstExp: 12, firstRun: 2, finalExp: 12, finalRun: 2 }, bucket), []);
  assert.ok(iovProblems({ firstExp: 12, firstRun: 1, finalExp: -1, finalRun: -1 }, bucket).length > 0);
  assert.ok(iovProblems({ firstExp: 12, firstRun: 1, finalExp: 12, finalRun: -1 }, bucket).length > 0);
  assert.ok(iovProblems({ firstExp: 11, firstRun: 1, finalExp: 12, finalRun: 4 }, bucket).some((p) => p.path === 'iov.firstExp'));
  assert.ok(iovProblems({ firstExp: 12, firstRun: 0, finalExp: 12, finalRun: 4 }, bucket).some((p) => p.path === 'iov.firstRun'));
  assert.ok(iovProblems({ firstExp: 12, firstRun: 1, finalExp: 12, finalRun: 5 }, bucket).some((p) => p.path === 'iov.finalRun'));
  assert.ok(iovProblems({ firstExp: 12, firstRun: 3, finalExp: 12, finalRun: 2 }, bucket).length > 0);
});

test('when a fix is validated, then another detector is FORBIDDEN, a closed window a RULE_VIOLATION, a wide IoV INVALID_INPUT', () => {
  const iov = { firstExp: 12, firstRun: 1, finalExp: 12, finalRun: 4 };
  assert.doesNotThrow(() => validateFix({ window: open, bucket, iov, detector: 'ecl', actor: expert, now: at(1) }));
  assert.equal(code(() => validateFix({ window: open, bucket, iov, detector: 'cdc', actor: expert, now: at(1) })), 'FORBIDDEN');
  assert.equal(code(() => validateFix({ window: open, bucket, iov, detector: 'ecl', actor: expert, now: at(48) })), 'RULE_VIOLATION');
  assert.equal(code(() => validateFix({ window: { ...open, state: 'closed' }, bucket, iov, detector: 'ecl', actor: expert, now: at(1) })), 'RULE_VIOLATION');
  assert.equal(code(() => validateFix({ window: open, bucket, iov: { ...iov, finalRun: 9 }, detector: 'ecl', actor: expert, now: at(1) })), 'INVALID_INPUT');
  const manager = { user: 'm', role: 'calibration_manager', detectors: [] };
  assert.doesNotThrow(() => validateFix({ window: open, bucket, iov, detector: 'cdc', actor: manager, now: at(1) }));
});

test('when payload names are mapped to detectors, then produced payloads give their calibration\'s detector', () => {
  const cals = [{ detector: 'ecl', producedPayloads: ['ECLCrystalEnergyScale'] }, { detector: 'cdc', producedPayloads: ['CDCdEdxRunGain'] }];
  assert.equal(detectorOfPayload(cals, 'ECLCrystalEnergyScale'), 'ecl');
  assert.equal(detectorOfPayload(cals, 'Nope'), undefined);
});

test('when a window or fix would move backwards, then the transition tables refuse it', () => {
  assert.doesNotThrow(() => fixWindowLifecycle.assert('open', 'closed'));
  assert.equal(code(() => fixWindowLifecycle.assert('closed', 'open' as never)), 'ILLEGAL_TRANSITION');
  assert.doesNotThrow(() => fixLifecycle.assert('pending', 'approved'));
  assert.equal(code(() => fixLifecycle.assert('rejected', 'approved')), 'ILLEGAL_TRANSITION');
});
