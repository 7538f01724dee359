/**
 * The Slurm state table and the executor's pure helpers. Runs everywhere (no Slurm needed): the manifest quoting is
 * checked against a real bash.
 */
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { classifyFailure } from '../../src/domain/error-classes.ts';
import {
  SLURM_JOB_STATES,
  SLURM_STATE_TABLE,
  describeExit,
  mapForgottenJob,
  mapSlurmState,
  parseExitFile,
  parseSlurmExit,
  refineWithSlurmOutput,
  type SlurmExit,
} from '../../src/domain/slurm-states.ts';
import { parseSqueue, parseSlurmTime, taskRanges } from '../../src/executors/slurm-cli.ts';
import { bashWord, parseExecutorId, timeMinutes } from '../../src/executors/slurm-executor.ts';

const ok: SlurmExit = { exitCode: 0, signal: null };
const map = (slurmState: string, exit = ok, extra: Partial<Parameters<typeof mapSlurmState>[0]> = {}) =>
  mapSlurmState({ slurmState, exit, ...extra });

describe('Slurm state table', () => {
  it('when any Slurm job state is looked up, then the table has a row for it', () => {
    for (const s of SLURM_JOB_STATES) assert.ok(SLURM_STATE_TABLE[s], s);
  });

  it('when a job is pending or running, then it is queued or running and not terminal', () => {
    assert.deepEqual([map('PENDING').state, map('PENDING').terminal], ['queued', false]);
    assert.equal(map('CONFIGURING').state, 'queued');
    for (const s of ['RUNNING', 'COMPLETING', 'SUSPENDED']) assert.equal(map(s).state, 'running', s);
  });

  it('when a job completed, then it succeeded', () => {
    const m = map('COMPLETED');
    assert.deepEqual([m.state, m.reason, m.exitCode], ['succeeded', 'exit', 0]);
  });

  it('when a job failed with an exit code, then it is failed/exit with that code and a software error', () => {
    const m = map('FAILED', { exitCode: 3, signal: null }, { slurmReason: 'NonZeroExitCode' });
    assert.deepEqual([m.state, m.reason, m.exitCode], ['failed', 'exit', 3]);
    assert.match(m.detail, /NonZeroExitCode.*exit 3/);
    assert.equal(classifyFailure({ reason: m.reason, exitCode: m.exitCode, detail: m.detail }).errorClass, 'software');
    assert.equal(classifyFailure({ reason: 'exit', exitCode: map('FAILED', { exitCode: 65, signal: null }).exitCode }).errorClass, 'input');
  });

  it('when the batch script was killed by a signal, then the exit code follows the shell convention 128+n', () => {
    const m = map('FAILED', { exitCode: null, signal: 11 });
    assert.equal(m.exitCode, 139);
    assert.match(m.detail, /SIGSEGV/);
  });

  it('when Slurm ends a job for a site or resource reason, then the end reason and error class say so', () => {
    const cases: [string, string, string][] = [
      ['OUT_OF_MEMORY', 'out_of_memory', 'resource'],
      ['TIMEOUT', 'timeout', 'site'],
      ['DEADLINE', 'timeout', 'site'],
      ['NODE_FAIL', 'node_failure', 'site'],
      ['BOOT_FAIL', 'node_failure', 'site'],
      ['PREEMPTED', 'preempted', 'site'],
      ['REQUEUED', 'preempted', 'site'],
    ];
    for (const [state, reason, cls] of cases) {
      const m = map(state, { exitCode: 0, signal: 9 });
      assert.equal(m.state, 'failed', state);
      assert.equal(m.reason, reason, state);
      assert.equal(SLURM_STATE_TABLE[state as 'TIMEOUT'].errorClass, cls, state);
      assert.equal(classifyFailure({ reason: m.reason, exitCode: m.exitCode, detail: m.detail }).errorClass, cls, state);
    }
  });

  it('when Slurm requeued a job (REQUEUED, or PENDING after a restart), then it is preempted and must be cancelled', () => {
    assert.equal(map('REQUEUED').requeued, true);
    const m = map('PENDING', ok, { restarts: 1, slurmReason: 'BeginTime' });
    assert.deepEqual([m.state, m.reason, m.requeued], ['failed', 'preempted', true]);
    assert.equal(map('PENDING', ok, { restarts: 0 }).requeued, false);
  });

  it('when a job was cancelled, then the detail says whether calibloop or someone outside did it', () => {
    assert.match(map('CANCELLED', ok, { cancelledByUs: true }).detail, /by calibloop/);
    const outside = map('CANCELLED by 0', ok, { slurmReason: 'None' });
    assert.deepEqual([outside.state, outside.reason], ['cancelled', 'cancelled']);
    assert.match(outside.detail, /outside calibloop/);
  });

  it('when squeue shows a state the table does not know, then the job is still running, not lost', () => {
    const m = map('FUTURE_STATE');
    assert.equal(m.state, 'running');
    assert.match(m.detail, /unknown Slurm state/);
  });
});

describe('Slurm memory kills without OUT_OF_MEMORY', () => {
  it('when a SIGKILLed job has Slurm output saying it exceeded its memory, then it is out_of_memory', () => {
    // what Slurm 22.05 reports with JobAcctGatherParams=OverMemoryKill (no cgroups), seen on the CI cluster
    const m = map('FAILED', { exitCode: null, signal: 9 }, { slurmReason: 'JobLaunchFailure' });
    const out = 'slurmstepd-vm: error: StepId=5367.batch exceeded memory limit (490991616 > 209715200), being killed\n';
    assert.equal(refineWithSlurmOutput(m, out).reason, 'out_of_memory');
    assert.equal(refineWithSlurmOutput(m, 'something else').reason, 'exit');
    // a program that exits 3 is not turned into a memory problem by a message
    assert.equal(refineWithSlurmOutput(map('FAILED', { exitCode: 3, signal: null }), out).reason, 'exit');
  });
});

describe('Slurm exit statuses', () => {
  it('when the exit status is code:signal or a raw wait status, then code and signal are recovered', () => {
    assert.deepEqual(parseSlurmExit('3:0'), { exitCode: 3, signal: null });
    assert.deepEqual(parseSlurmExit('0:9'), { exitCode: null, signal: 9 });
    assert.deepEqual(parseSlurmExit('0'), { exitCode: 0, signal: null });
    assert.deepEqual(parseSlurmExit('768'), { exitCode: 3, signal: null }); // squeue -O exit_code
    assert.deepEqual(parseSlurmExit('35072'), { exitCode: 137, signal: null });
    assert.deepEqual(parseSlurmExit('11'), { exitCode: null, signal: 11 });
    assert.deepEqual(parseSlurmExit('N/A'), { exitCode: null, signal: null });
    assert.equal(describeExit({ exitCode: 137, signal: null }), 'exit 137 (SIGKILL)');
  });

  it('when squeue no longer knows a job, then the exit file decides, else it is lost', () => {
    const rec = parseExitFile('exit=3 term=0 start=1790000000 end=1790000005\n');
    assert.deepEqual(rec, { exitCode: 3, terminated: false, startedAt: new Date(1790000000e3), finishedAt: new Date(1790000005e3) });
    assert.deepEqual([mapForgottenJob(rec, false).state, mapForgottenJob(rec, false).exitCode], ['failed', 3]);
    assert.equal(mapForgottenJob(parseExitFile('exit=0 term=0 start=1 end=2'), false).state, 'succeeded');
    assert.equal(mapForgottenJob(parseExitFile('exit=143 term=1 start=1 end=2'), false).state, 'lost');
    assert.equal(mapForgottenJob(undefined, false).state, 'lost');
    assert.equal(mapForgottenJob(undefined, true).state, 'cancelled');
    assert.equal(parseExitFile('garbage'), undefined);
  });
});

describe('Slurm executor helpers', () => {
  it('when manifest words hold quotes, backslashes, newlines and unicode, then bash reads them back unchanged', () => {
    const words = ["it's", 'a "b" \\c', 'line1\nline2\ttab', 'ünï 🚀', '$HOME `x` $(y)', ''];
    const line = words.map(bashWord).join(' ');
    assert.ok(!line.includes('\n'));
    const out = execFileSync('bash', ['-c', `eval "set -- $1"; printf '%s\\0' "$@"`, 'x', line], { encoding: 'utf8' });
    assert.deepEqual(out.split('\0').slice(0, -1), words);
  });

  it('when squeue prints rows, then array tasks are parsed and other lines skipped', () => {
    const rows = parseSqueue('2_5|FAILED|NonZeroExitCode|35072|0|2026-11-22T11:00:16|2026-11-22T11:00:16|\n123|RUNNING|None|0|0|N/A|N/A|\nwarning\n');
    assert.equal(rows.length, 1);
    assert.equal(rows[0]!.id, '2_5');
    assert.equal(rows[0]!.exitStatus, '35072');
    assert.equal(parseSlurmTime('N/A'), undefined);
  });

  it('when ids and limits are converted, then Slurm syntax comes out', () => {
    assert.equal(taskRanges([5, 0, 1, 2, 7, 8, 2]), '0-2,5,7-8');
    assert.deepEqual(parseExecutorId('123_45'), { arrayId: '123', task: 45 });
    assert.equal(parseExecutorId('/tmp/x'), undefined);
    assert.deepEqual([timeMinutes(1), timeMinutes(60), timeMinutes(61), timeMinutes(3600)], [1, 1, 2, 60]);
  });
});
