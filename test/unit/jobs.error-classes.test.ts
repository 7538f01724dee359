import { test } from 'node:test';
import assert from 'node:assert/strict';
import { classifyFailure, conditionsPayloadIn, culpritInputs } from '../../src/domain/error-classes.ts';
import { decideRetry, DEFAULT_RETRY_POLICY } from '../../src/domain/retry-policy.ts';
import { jobLifecycle, FINAL_JOB_STATES } from '../../src/domain/job-states.ts';

const now = new Date('2026-11-01T00:00:00Z');

test('when the engine reports out of memory, then the class is resource whatever the exit code', () => {
  assert.equal(classifyFailure({ reason: 'out_of_memory', exitCode: 1 }).errorClass, 'resource');
});

test('when the engine reports timeout, node failure, pre-emption or lost, then the class is site', () => {
  for (const reason of ['timeout', 'node_failure', 'preempted', 'lost', 'cancelled'] as const) {
    assert.equal(classifyFailure({ reason, exitCode: null }).errorClass, 'site', reason);
  }
});

test('when the program exits 65, then the class is input; any other non-zero exit is software', () => {
  assert.equal(classifyFailure({ reason: 'exit', exitCode: 65 }).errorClass, 'input');
  assert.equal(classifyFailure({ reason: 'exit', exitCode: 1 }).errorClass, 'software');
  assert.equal(classifyFailure({ reason: 'exit', exitCode: 2 }).errorClass, 'software');
});

test('when a process is killed by SIGKILL without an engine reason, then the class is resource (the OOM killer)', () => {
  assert.equal(classifyFailure({ reason: 'exit', exitCode: null, detail: 'signal SIGKILL' }).errorClass, 'resource');
  assert.equal(classifyFailure({ reason: 'exit', exitCode: 137 }).errorClass, 'resource');
});

test('when exit 0 left outputs missing, then the class is software', () => {
  const c = classifyFailure({ reason: 'exit', exitCode: 0, outputProblem: 'missing' });
  assert.equal(c.errorClass, 'software');
  assert.match(c.rule, /outputs/);
});

test('when an input error names one of several inputs, then only that input is the culprit; naming none blames none', () => {
  const inputs = ['/raw/a.b2raw', '/raw/b.b2raw'];
  assert.deepEqual(culpritInputs('input error: /raw/b.b2raw is not a b2raw file', inputs), ['/raw/b.b2raw']);
  assert.deepEqual(culpritInputs('input error: something', inputs), []);
  // a single input is not blamed for an error that does not name it
  assert.deepEqual(culpritInputs('input error: something', ['/raw/a.b2raw']), []);
  assert.deepEqual(culpritInputs('input error: /raw/other.b2raw: not a b2raw file', ['/raw/a.b2raw']), []);
});

test('when exit 65 names a conditions payload or local database, then the class is conditions and no input is a culprit', () => {
  const payload = 'input error: /home/data/b/conditions/cdst/dbstore_cdc_t0_rev_3.root: not a JSON payload';
  const c = classifyFailure({ reason: 'exit', exitCode: 65, message: payload });
  assert.equal(c.errorClass, 'conditions');
  assert.equal(conditionsPayloadIn(payload), '/home/data/b/conditions/cdst/dbstore_cdc_t0_rev_3.root');
  assert.equal(classifyFailure({ reason: 'exit', exitCode: 65, message: 'input error: /d/database.txt:3: malformed line "x"' }).errorClass, 'conditions');
  assert.equal(classifyFailure({ reason: 'exit', exitCode: 65, message: 'input error: /raw/e8_r1_f0.b2raw: not a b2raw file' }).errorClass, 'input');
  assert.deepEqual(culpritInputs(payload, ['/data/b/hlt_skim/x/e8_r1_c0.b2skim']), []);
  assert.equal(decideRetry(DEFAULT_RETRY_POLICY, { errorClass: 'conditions', attempts: 1, maxAttempts: 3, memoryMb: 1000, now }).action, 'fail');
});

test('when an input error happens, then the job fails at once without retry', () => {
  const d = decideRetry(DEFAULT_RETRY_POLICY, { errorClass: 'input', attempts: 1, maxAttempts: 5, memoryMb: 1000, now });
  assert.equal(d.action, 'fail');
});

test('when a site error happens, then retries back off exponentially, capped, and stop at maxAttempts', () => {
  const p = { ...DEFAULT_RETRY_POLICY, site: { backoffS: 10, factor: 2, maxBackoffS: 25 } };
  const d1 = decideRetry(p, { errorClass: 'site', attempts: 1, maxAttempts: 4, memoryMb: 1000, now });
  const d2 = decideRetry(p, { errorClass: 'site', attempts: 2, maxAttempts: 4, memoryMb: 1000, now });
  const d3 = decideRetry(p, { errorClass: 'site', attempts: 3, maxAttempts: 4, memoryMb: 1000, now });
  const d4 = decideRetry(p, { errorClass: 'site', attempts: 4, maxAttempts: 4, memoryMb: 1000, now });
  assert.ok(d1.action === 'retry' && d1.notBefore.getTime() - now.getTime() === 10_000);
  assert.ok(d2.action === 'retry' && d2.notBefore.getTime() - now.getTime() === 20_000);
  assert.ok(d3.action === 'retry' && d3.notBefore.getTime() - now.getTime() === 25_000);
  assert.equal(d4.action, 'fail');
});

test('when memory runs out, then the retry asks for factor × memory up to the cap, and at the cap the job is held', () => {
  const p = { ...DEFAULT_RETRY_POLICY, resource: { memoryFactor: 1.5, maxMemoryMb: 2000 } };
  const d1 = decideRetry(p, { errorClass: 'resource', attempts: 1, maxAttempts: 5, memoryMb: 1000, now });
  assert.ok(d1.action === 'retry' && d1.memoryMb === 1500);
  const d2 = decideRetry(p, { errorClass: 'resource', attempts: 2, maxAttempts: 5, memoryMb: 1500, now });
  assert.ok(d2.action === 'retry' && d2.memoryMb === 2000);
  assert.equal(decideRetry(p, { errorClass: 'resource', attempts: 3, maxAttempts: 5, memoryMb: 2000, now }).action, 'hold');
  assert.equal(decideRetry(p, { errorClass: 'resource', attempts: 5, maxAttempts: 5, memoryMb: 1000, now }).action, 'fail');
});

test('when software errors repeat, then retries stop at the smaller of the job and class bounds', () => {
  const p = { ...DEFAULT_RETRY_POLICY, software: { maxAttempts: 2, delayS: 0 } };
  assert.equal(decideRetry(p, { errorClass: 'software', attempts: 1, maxAttempts: 5, memoryMb: 1, now }).action, 'retry');
  assert.equal(decideRetry(p, { errorClass: 'software', attempts: 2, maxAttempts: 5, memoryMb: 1, now }).action, 'fail');
  assert.equal(decideRetry(p, { errorClass: 'software', attempts: 1, maxAttempts: 1, memoryMb: 1, now }).action, 'fail');
});

test('when a job is final, then only a resubmit (to created) leaves it, and succeeded never', () => {
  assert.deepEqual(jobLifecycle.transitions.succeeded, []);
  for (const s of FINAL_JOB_STATES.filter((s) => s !== 'succeeded')) assert.deepEqual(jobLifecycle.transitions[s], ['created']);
  assert.throws(() => jobLifecycle.assert('succeeded', 'created', 1), { code: 'ILLEGAL_TRANSITION' });
  assert.throws(() => jobLifecycle.assert('created', 'succeeded', 1), { code: 'ILLEGAL_TRANSITION' });
});
