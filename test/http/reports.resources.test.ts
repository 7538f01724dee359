import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { ROOT_DIR } from '../../src/db/paths.ts';
import { createJobs } from '../../src/services/jobs/create-jobs.ts';
import { runJobTick } from '../../src/services/jobs/run-job-tick.ts';
import { isFinalJobState } from '../../src/domain/job-states.ts';
import type { NewJob } from '../../src/domain/new-job.ts';
import { startTestApp, type TestApp } from '../helpers/app.ts';
import { waitFor } from '../helpers/production-support.ts';

let app: TestApp;
let token: string;
before(async () => {
  app = await startTestApp({ env: { CALIBLOOP_LOCAL_CONCURRENCY: '2' } });
  token = await app.tokenFor('data_production_manager');
});
after(async () => {
  await app.close();
});

/**
 * A real program: holds `mb` MiB resident, burns CPU for `cpuMs`, reads its input and writes `outBytes` to its output.
 * `fail` makes it exit 1 after doing all that (the attempt still used resources).
 */
function program(o: { mb: number; cpuMs: number; input: string; output: string; outBytes: number; fail?: boolean }): string[] {
  const src = `
    const fs = require('fs');
    const hold = Buffer.alloc(${o.mb} * 1024 * 1024, 7);
    const data = fs.readFileSync(${JSON.stringify(o.input)});
    const end = process.cpuUsage().user + ${o.cpuMs * 1000};
    let x = 0; while (process.cpuUsage().user < end) x += Math.sqrt(x + data.length);
    fs.writeFileSync(${JSON.stringify(o.output)}, Buffer.alloc(${o.outBytes}, hold[0]));
    process.exit(${o.fail ? 1 : 0});`;
  return [process.execPath, '-e', src];
}

async function untilAllFinal(keys: string[]) {
  await waitFor(
    'the jobs to end',
    async () => {
      await runJobTick(app.deps);
      app.clock.advance(1000);
      const jobs = await app.deps.prisma.job.findMany({ where: { idempotencyKey: { in: keys } } });
      return jobs.length === keys.length && jobs.every((j) => isFinalJobState(j.state));
    },
    { timeoutMs: 120_000, intervalMs: 100 },
  );
}

test('when real jobs ran, then every attempt has measured resources and the report summarises them per step and calibration with a projection', async () => {
  const dir = join(app.home, 'res');
  mkdirSync(dir, { recursive: true });
  const bucket = await app.deps.prisma.bucket.create({ data: { name: 'e12_res', exp: 12, seq: 1, firstRun: 1, lastRun: 4, stage: 'producing' } });
  for (const run of [1, 2, 3, 4]) await app.deps.prisma.run.create({ data: { exp: 12, run, type: 'physics', bucketId: bucket.id, quality: {} } });
  const jobs: NewJob[] = [];
  for (const run of [1, 2]) {
    const input = join(dir, `raw_${run}.bin`);
    writeFileSync(input, Buffer.alloc(200_000 * run, 1));
    const output = join(dir, `skim_${run}.out`);
    jobs.push({ idempotencyKey: `res/skim/r${run}`, step: 'skim_res', bucketId: bucket.id, exp: 12, run, command: program({ mb: 120, cpuMs: 300, input, output, outBytes: 50_000 }), inputs: [input], outputs: [output], maxAttempts: 1 });
  }
  const calInput = join(dir, 'cal_in.bin');
  writeFileSync(calInput, Buffer.alloc(1000, 1));
  // a calibration job that fails: its attempt is counted too
  jobs.push({ idempotencyKey: 'res/cal/ecl', step: 'calibration', variant: 'ecl_energy', bucketId: bucket.id, command: program({ mb: 20, cpuMs: 50, input: calInput, output: join(dir, 'cal.out'), outBytes: 10, fail: true }), inputs: [calInput], outputs: [join(dir, 'cal.out')], maxAttempts: 1 });
  await createJobs(app.deps, jobs);
  await untilAllFinal(jobs.map((j) => j.idempotencyKey));

  const attempts = await app.deps.prisma.jobAttempt.findMany({ where: { job: { bucketId: bucket.id } }, include: { job: true }, orderBy: { jobId: 'asc' } });
  assert.equal(attempts.length, 3);
  for (const a of attempts.filter((x) => x.job.step === 'skim_res')) {
    assert.equal(a.outcome, 'succeeded');
    assert.ok(a.peakRssMb! >= 120, `peak memory ${a.peakRssMb} MiB covers the 120 MiB held`);
    assert.ok(a.cpuS! >= 0.3, `cpu ${a.cpuS} s covers the 0.3 s burnt`);
    assert.ok(a.wallS! >= a.cpuS! * 0.5, 'wall time measured');
    assert.equal(Number(a.inputBytes), 200_000 * a.job.run!);
    assert.equal(Number(a.outputBytes), 50_000);
  }
  const cal = attempts.find((x) => x.job.step === 'calibration')!;
  assert.equal(cal.outcome, 'failed');
  assert.equal(Number(cal.inputBytes), 1000);
  assert.ok(cal.cpuS! > 0);

  const res = await app.as(token).get('/reports/resources', { params: { bucket: 'e12_res', runs: '400' } });
  assert.equal(res.status, 200, JSON.stringify(res.data));
  const skim = res.data.groups.find((g: any) => g.step === 'skim_res');
  assert.equal(skim.jobs, 2);
  assert.equal(skim.runs, 2);
  assert.equal(skim.metrics.inputBytes.total, 600_000);
  assert.equal(skim.metrics.inputBytes.median, 300_000);
  assert.equal(skim.metrics.outputBytes.total, 100_000);
  assert.ok(skim.metrics.peakRssMb.p95 >= 120);
  const calGroup = res.data.groups.find((g: any) => g.calibration === 'ecl_energy');
  assert.equal(calGroup.step, 'calibration');
  assert.equal(calGroup.attempts, 1);
  assert.equal(calGroup.succeeded, 0);
  // projection: skims scale with runs (2 observed → 400), the calibration once per bucket, its input with runs (4 → 400)
  const pSkim = res.data.projection.groups.find((g: any) => g.step === 'skim_res');
  assert.equal(pSkim.jobs, 400);
  assert.equal(pSkim.inputBytes, 600_000 * 200);
  const pCal = res.data.projection.groups.find((g: any) => g.calibration === 'ecl_energy');
  assert.equal(pCal.jobs, 1);
  assert.equal(pCal.inputBytes, 1000 * 100);
  assert.equal(res.data.projection.total.jobs, 401);

  // bad input: a clear 400 with the field, an unknown bucket 404
  const bad = await app.as(token).get('/reports/resources', { params: { runs: '-3' } });
  assert.equal(bad.status, 400);
  assert.match(JSON.stringify(bad.data), /runs/);
  assert.equal((await app.as(token).get('/reports/resources', { params: { bucket: 'nope' } })).status, 404);

  // the CLI reads the same report
  const { stdout } = await promisify(execFile)(process.execPath, [join(ROOT_DIR, 'bin/calibloop.js'), 'report', 'resources', '--bucket', 'e12_res', '--runs', '400'], {
    env: { ...process.env, CALIBLOOP_URL: app.url, CALIBLOOP_TOKEN: token },
  });
  assert.match(stdout, /skim_res/);
  assert.match(stdout, /calibration:ecl_energy/);
  assert.match(stdout, /projected for a bucket of 400 runs/);
});
