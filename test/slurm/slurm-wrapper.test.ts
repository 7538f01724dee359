/**
 * The array task wrapper (job.sh) run by bash directly, as slurmstepd would run it (no Slurm needed): it picks its
 * manifest line, runs the program in its work dir with its env, writes the exit file, and refuses to run a
 * submission calibloop never recorded.
 */
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { bashWord, wrapperScript } from '../../src/executors/slurm-executor.ts';
import { parseExitFile } from '../../src/domain/slurm-states.ts';

function setup(lines: string[][]) {
  const base = mkdtempSync(join(tmpdir(), 'calibloop-wrapper-'));
  const sub = join(base, 'sub');
  const state = join(base, 'state');
  mkdirSync(join(sub, 'exit'), { recursive: true });
  mkdirSync(join(state, 'arrays'), { recursive: true });
  writeFileSync(join(sub, 'manifest'), lines.map((l) => l.map(bashWord).join(' ')).join('\n') + '\n');
  writeFileSync(join(sub, 'job.sh'), wrapperScript(), { mode: 0o755 });
  const run = (task: number) =>
    spawnSync('bash', [join(sub, 'job.sh'), sub, state], {
      env: { PATH: process.env.PATH, SLURM_ARRAY_TASK_ID: String(task), SLURM_ARRAY_JOB_ID: '4242' },
      encoding: 'utf8',
      timeout: 20_000,
    });
  return { base, sub, state, run };
}

describe('Slurm array task wrapper', () => {
  it('when the submission was accepted, then task t runs manifest line t in its work dir with its env and records the exit', () => {
    const base0 = mkdtempSync(join(tmpdir(), 'calibloop-wrapper-wd-'));
    const wd = join(base0, 'work dir');
    mkdirSync(wd);
    const { base, sub, state, run } = setup([
      [wd, join(wd, 'a.log'), '0', '/bin/sh', '-c', 'echo first'],
      [wd, join(wd, 'b.log'), '1', "MSG=it's here", '/bin/sh', '-c', 'echo "$MSG in $(pwd)"; exit 4'],
    ]);
    try {
      writeFileSync(join(sub, 'accepted'), '4242\n');
      const r = run(1);
      assert.equal(r.status, 4, r.stderr);
      assert.equal(readFileSync(join(wd, 'b.log'), 'utf8'), `it's here in ${wd}\n`);
      assert.ok(!existsSync(join(wd, 'a.log')));
      const rec = parseExitFile(readFileSync(join(sub, 'exit', '1'), 'utf8'))!;
      assert.equal(rec.exitCode, 4);
      assert.equal(rec.terminated, false);
      assert.ok(existsSync(join(state, 'arrays', '4242')), 'the wrapper links the array id to its submission');
    } finally {
      rmSync(base, { recursive: true, force: true });
      rmSync(base0, { recursive: true, force: true });
    }
  });

  it('when calibloop abandoned the submission (sbatch failed), then the task runs nothing', () => {
    const wd = mkdtempSync(join(tmpdir(), 'calibloop-wrapper-wd-'));
    const { base, sub, run } = setup([[wd, join(wd, 'x.log'), '0', '/bin/sh', '-c', 'echo ran > ran.txt']]);
    try {
      writeFileSync(join(sub, 'abandoned'), 'sbatch timed out\n');
      const r = run(0);
      assert.equal(r.status, 75);
      assert.match(r.stderr, /never recorded this submission/);
      assert.ok(!existsSync(join(wd, 'ran.txt')));
      assert.ok(!existsSync(join(sub, 'exit', '0')));
    } finally {
      rmSync(base, { recursive: true, force: true });
      rmSync(wd, { recursive: true, force: true });
    }
  });

  it('when a task id has no manifest line, then the task fails with a message', () => {
    const { base, sub, run } = setup([[tmpdir(), join(tmpdir(), 'never-written.log'), '0', '/bin/true']]);
    try {
      writeFileSync(join(sub, 'accepted'), '4242\n');
      const r = run(5);
      assert.equal(r.status, 70);
      assert.match(r.stderr, /no manifest line for task 5/);
    } finally {
      rmSync(base, { recursive: true, force: true });
    }
  });
});
