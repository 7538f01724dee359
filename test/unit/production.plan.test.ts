import { test } from 'node:test';
import assert from 'node:assert/strict';
import { unitsForRun, jobForUnit, slotOf, type KnownJob, type PlanStep } from '../../src/domain/production-plan.ts';
import { stepCompleteness } from '../../src/domain/completeness.ts';
import { rawReadiness } from '../../src/domain/run-readiness.ts';

const skim: PlanStep = { name: 'hlt_skim', kind: 'skim', input: 'raw', perSkim: true, chunkFiles: 2, command: ['{node}', 'skim', '{inputs}', '{skim}', '{output}'], output: '{bucket}/hlt_skim/{skim}/e{exp}_r{run}_c{chunk}.b2skim', memoryMb: 1000, timeLimitS: 60, maxAttempts: 3, priority: 1 };
const cdst: PlanStep = { name: 'cdst', kind: 'cdst', input: 'hlt_skim', perSkim: true, chunkFiles: 1, command: ['{node}', 'cdst', '{inputs}', '{output}', '{localdb}'], output: '{bucket}/cdst/{skim}/e{exp}_r{run}.b2cdst', memoryMb: 2000, timeLimitS: 60, maxAttempts: 3, priority: 0 };
const now = new Date('2026-11-02T00:00:00Z');
const ended = new Date('2026-11-01T01:00:00Z');
const files = (statuses: string[]) => statuses.map((status, i) => ({ id: i + 1, path: `/raw/e12_r5_f${i}.b2raw`, status }));
const ctx = (jobs: KnownJob[] = [], outputs = new Map()) => ({ now, fileWaitHours: 6, skims: ['hlt_bhabha', 'hlt_hadron'], jobs: new Map(jobs.map((j) => [j.key, j])), outputs });
const job = (id: number, key: string, state: string, extra: Partial<KnownJob> = {}): KnownJob => ({ id, key, state, attempts: 1, errorClass: null, errorMessage: null, ...extra });

test('when a run has settled files, then there is one unit per skim × chunk with a stable key', () => {
  const units = unitsForRun([skim], { exp: 12, run: 5, endTime: ended, files: files(['transferred', 'transferred', 'transferred']) }, ctx());
  assert.deepEqual(units.map((u) => u.key), ['hlt_skim/hlt_bhabha/e12/r5/c0', 'hlt_skim/hlt_bhabha/e12/r5/c1', 'hlt_skim/hlt_hadron/e12/r5/c0', 'hlt_skim/hlt_hadron/e12/r5/c1']);
  assert.ok(units.every((u) => u.status === 'to_plan'));
  assert.deepEqual(units[0].inputs, ['/raw/e12_r5_f0.b2raw', '/raw/e12_r5_f1.b2raw']);
  assert.deepEqual(units[1].inputs, ['/raw/e12_r5_f2.b2raw']);
});

test('when a file is still registered, then the run waits until file_wait_hours after its end, then goes without it', () => {
  const run = { exp: 12, run: 5, endTime: ended, files: files(['transferred', 'registered']) };
  assert.equal(rawReadiness(run, new Date('2026-11-01T03:00:00Z'), 6).ready, false);
  const r = rawReadiness(run, new Date('2026-11-01T08:00:00Z'), 6);
  assert.ok(r.ready && r.usable.length === 1 && /not transferred within 6 h/.test(r.excluded[0].reason));
  assert.equal(rawReadiness({ ...run, endTime: null }, now, 6).ready, false);
});

test('when a file of a chunk is flagged corrupt after its job failed, then the rest of the chunk is planned under a new key and the failed job stays as history', () => {
  const failed = job(7, 'hlt_skim/hlt_bhabha/e12/r5/c0', 'failed', { errorClass: 'input', errorMessage: 'input error: /raw/e12_r5_f1.b2raw is not a b2raw file' });
  const f = files(['transferred', 'corrupt']);
  const units = unitsForRun([skim], { exp: 12, run: 5, endTime: ended, files: f }, ctx([failed]));
  const u = units.find((x) => x.variant === 'hlt_bhabha')!;
  assert.equal(u.key, 'hlt_skim/hlt_bhabha/e12/r5/c0/x2');
  assert.equal(slotOf(u.key), failed.key);
  assert.equal(u.status, 'to_plan');
  assert.deepEqual(u.inputs, ['/raw/e12_r5_f0.b2raw']);
  assert.deepEqual(u.earlier.map((j) => j.id), [7]);
  const c = stepCompleteness('hlt_skim', [u]);
  assert.ok(c.missing.some((m) => m.kind === 'excluded_file' && m.file === '/raw/e12_r5_f1.b2raw'));
});

test('when an earlier job of the slot succeeded, then the slot is not planned again even if a file is flagged later', () => {
  const ok = job(3, 'hlt_skim/hlt_bhabha/e12/r5/c0', 'succeeded');
  const units = unitsForRun([skim], { exp: 12, run: 5, endTime: ended, files: files(['transferred', 'corrupt']) }, ctx([ok]));
  const u = units.find((x) => x.variant === 'hlt_bhabha')!;
  assert.equal(u.status, 'planned');
  assert.equal(u.job!.id, 3);
});

test('when an earlier job of the slot is still running, then the new key waits (never two jobs writing one output)', () => {
  const running = job(3, 'hlt_skim/hlt_bhabha/e12/r5/c0', 'running');
  const u = unitsForRun([skim], { exp: 12, run: 5, endTime: ended, files: files(['transferred', 'corrupt']) }, ctx([running])).find((x) => x.variant === 'hlt_bhabha')!;
  assert.equal(u.status, 'waiting');
});

test('when every file of a chunk is unusable, then the chunk has nothing to do and is reported, not planned', () => {
  const units = unitsForRun([skim], { exp: 12, run: 5, endTime: ended, files: files(['corrupt', 'missing']) }, ctx());
  assert.ok(units.every((u) => u.status === 'nothing_to_do'));
  const c = stepCompleteness('hlt_skim', units.filter((u) => u.variant === 'hlt_bhabha'));
  assert.equal(c.status, 'incomplete');
  assert.equal(c.final, true);
});

test('when the skims of a run are final, then its cDST per skim reads the succeeded skim outputs', () => {
  const jobs = [job(1, 'hlt_skim/hlt_bhabha/e12/r5/c0', 'succeeded'), job(2, 'hlt_skim/hlt_hadron/e12/r5/c0', 'running')];
  const outputs = new Map([[1, [{ path: '/data/b/hlt_skim/hlt_bhabha/e12_r5_c0.b2skim', events: 10 }]]]);
  const units = unitsForRun([skim, cdst], { exp: 12, run: 5, endTime: ended, files: files(['transferred']) }, ctx(jobs, outputs));
  const bhabha = units.find((u) => u.step === 'cdst' && u.variant === 'hlt_bhabha')!;
  const hadron = units.find((u) => u.step === 'cdst' && u.variant === 'hlt_hadron')!;
  assert.equal(bhabha.status, 'to_plan');
  assert.equal(bhabha.key, 'cdst/hlt_bhabha/e12/r5');
  assert.deepEqual(bhabha.inputs, ['/data/b/hlt_skim/hlt_bhabha/e12_r5_c0.b2skim']);
  assert.equal(hadron.status, 'waiting');
});

test('when a unit is turned into a job, then the command and the declared output are rendered from the step', () => {
  const [u] = unitsForRun([skim], { exp: 12, run: 5, endTime: ended, files: files(['transferred']) }, ctx());
  const j = jobForUnit(skim, u, { bucketId: 1, bucketName: 'e12_bucket1', dataDir: '/data', jobsRoot: '/jobs', node: '/bin/node', toolkit: '/tk', localdb: () => undefined, tagChain: () => [] });
  assert.deepEqual(j.outputs, ['/data/e12_bucket1/hlt_skim/hlt_bhabha/e12_r5_c0.b2skim']);
  assert.deepEqual(j.command, ['/bin/node', 'skim', '/raw/e12_r5_f0.b2raw', 'hlt_bhabha', '/data/e12_bucket1/hlt_skim/hlt_bhabha/e12_r5_c0.b2skim']);
  assert.equal(j.idempotencyKey, 'hlt_skim/hlt_bhabha/e12/r5/c0');
  assert.throws(() => jobForUnit(cdst, { ...u, step: 'cdst' }, { bucketId: 1, bucketName: 'b', dataDir: '/d', jobsRoot: '/j', node: 'n', toolkit: 't', localdb: () => undefined, tagChain: () => [] }), /localdb/);
});

test('when all units of a step produced, then the run is complete; a failed job makes it incomplete and final', () => {
  const ok = unitsForRun([skim], { exp: 12, run: 5, endTime: ended, files: files(['transferred']) }, ctx([job(1, 'hlt_skim/hlt_bhabha/e12/r5/c0', 'succeeded'), job(2, 'hlt_skim/hlt_hadron/e12/r5/c0', 'succeeded')]));
  assert.equal(stepCompleteness('hlt_skim', ok).status, 'complete');
  const bad = unitsForRun([skim], { exp: 12, run: 5, endTime: ended, files: files(['transferred']) }, ctx([job(1, 'hlt_skim/hlt_bhabha/e12/r5/c0', 'succeeded'), job(2, 'hlt_skim/hlt_hadron/e12/r5/c0', 'failed', { errorClass: 'software', errorMessage: 'boom', attempts: 2 })]));
  const c = stepCompleteness('hlt_skim', bad);
  assert.equal(c.status, 'incomplete');
  assert.equal(c.missing[0].kind, 'failed');
  assert.match(c.missing[0].reason, /software error in hlt_skim job 2 after 2 attempt/);
  const pending = unitsForRun([skim], { exp: 12, run: 5, endTime: ended, files: files(['transferred']) }, ctx([job(1, 'hlt_skim/hlt_bhabha/e12/r5/c0', 'running')]));
  assert.equal(stepCompleteness('hlt_skim', pending).status, 'in_progress');
});

test('when a file left out of a produced chunk becomes usable later, then the chunk is not produced twice and completeness names the file', () => {
  const done = job(4, 'hlt_skim/hlt_bhabha/e12/r5/c0/x2', 'succeeded');
  const u = unitsForRun([skim], { exp: 12, run: 5, endTime: ended, files: files(['transferred', 'transferred']) }, ctx([done])).find((x) => x.variant === 'hlt_bhabha')!;
  assert.equal(u.status, 'planned');
  assert.equal(u.job!.id, 4);
  const c = stepCompleteness('hlt_skim', [u]);
  assert.equal(c.status, 'incomplete');
  assert.equal(c.missing[0].file, '/raw/e12_r5_f1.b2raw');
  assert.match(c.missing[0].reason, /produced without it by job 4/);
});

const skim1: PlanStep = { ...skim, chunkFiles: 1 };
const out = (id: number, path: string) => [id, [{ path, events: 5 }]] as const;

test('when a raw file of a run was flagged corrupt, then its cDST is made from the rest but is incomplete with the reason chain', () => {
  const f = [
    { id: 1, path: '/raw/e8_r1932_f0.b2raw', status: 'transferred' },
    { id: 2, path: '/raw/e8_r1932_f1.b2raw', status: 'transferred' },
    { id: 3, path: '/raw/e8_r1932_f2.b2raw', status: 'corrupt', flagReason: 'input error in hlt_skim job 41 (/raw/e8_r1932_f2.b2raw: not a b2raw file)' },
  ];
  const jobs = [
    job(10, 'hlt_skim/hlt_bhabha/e8/r1932/c0', 'succeeded'),
    job(11, 'hlt_skim/hlt_bhabha/e8/r1932/c1', 'succeeded'),
    job(41, 'hlt_skim/hlt_bhabha/e8/r1932/c2', 'failed', { errorClass: 'input', errorMessage: 'input error: /raw/e8_r1932_f2.b2raw: not a b2raw file' }),
  ];
  const outputs = new Map([out(10, '/d/s/e8_r1932_c0.b2skim'), out(11, '/d/s/e8_r1932_c1.b2skim')]);
  const c = { ...ctx(jobs, outputs), skims: ['hlt_bhabha'] };
  const units = unitsForRun([skim1, cdst], { exp: 8, run: 1932, endTime: ended, files: f }, c);
  const u = units.find((x) => x.step === 'cdst')!;
  assert.equal(u.status, 'to_plan');
  assert.deepEqual(u.inputs, ['/d/s/e8_r1932_c0.b2skim', '/d/s/e8_r1932_c1.b2skim']);
  assert.equal(u.excluded.length, 1);
  // planned and succeeded: still incomplete, and the chain names the raw file and the job that proved it corrupt
  const done = unitsForRun([skim1, cdst], { exp: 8, run: 1932, endTime: ended, files: f }, { ...c, jobs: new Map([...c.jobs, ['cdst/hlt_bhabha/e8/r1932', job(50, 'cdst/hlt_bhabha/e8/r1932', 'succeeded', { inputs: u.inputs })]]) });
  const cc = stepCompleteness('cdst', done.filter((x) => x.step === 'cdst'));
  assert.equal(cc.status, 'incomplete');
  assert.equal(cc.final, true);
  assert.equal(cc.missing.length, 1);
  assert.equal(cc.missing[0].file, '/raw/e8_r1932_f2.b2raw');
  assert.match(cc.missing[0].chain, /^cdst hlt_bhabha of 8\/1932: made without e8_r1932_f2\.b2raw — file corrupt: input error in hlt_skim job 41/);
});

test('when several skim variants read one corrupt file, then each variant names its own job: failed on it, or cancelled for it', () => {
  const bad = '/raw/e8_r1932_f2.b2raw';
  const f = [
    { id: 1, path: '/raw/e8_r1932_f0.b2raw', status: 'transferred' },
    { id: 3, path: bad, status: 'corrupt', flagReason: `input error in hlt_skim job 25 (${bad} is not a b2raw file)` },
  ];
  const skims = ['hlt_bhabha', 'hlt_mumu', 'hlt_hadron', 'hlt_gamma'];
  const msg = `input error: ${bad} is not a b2raw file`;
  const jobs = [
    job(25, 'hlt_skim/hlt_bhabha/e8/r1932/c1', 'failed', { errorClass: 'input', errorMessage: msg }),
    // started before the flag: fails on the file as its own input error
    job(28, 'hlt_skim/hlt_mumu/e8/r1932/c1', 'failed', { errorClass: 'input', errorMessage: msg }),
    // not started yet: cancelled with the flagging job's id
    job(31, 'hlt_skim/hlt_hadron/e8/r1932/c1', 'cancelled', { errorClass: 'input', errorMessage: `input file ${bad} flagged corrupt by hlt_skim job 25` }),
    // hlt_gamma's chunk was never planned with the file: only the file's own reason is known
  ];
  const units = unitsForRun([skim1], { exp: 8, run: 1932, endTime: ended, files: f }, { ...ctx(jobs), skims });
  const chains = new Map(skims.map((v) => [v, stepCompleteness('hlt_skim', units.filter((u) => u.variant === v && u.chunk === 1)).missing]));
  assert.deepEqual(chains.get('hlt_bhabha')!.map((m) => [m.kind, m.jobId, m.chain]), [['excluded_file', 25, `hlt_skim hlt_bhabha of 8/1932: file corrupt: input error in hlt_skim job 25 (${bad} is not a b2raw file)`]]);
  assert.deepEqual(chains.get('hlt_mumu')!.map((m) => [m.kind, m.jobId, m.chain]), [['excluded_file', 28, `hlt_skim hlt_mumu of 8/1932: file corrupt: input error in hlt_skim job 28 (${bad} is not a b2raw file)`]]);
  assert.deepEqual(chains.get('hlt_hadron')!.map((m) => [m.kind, m.jobId, m.chain]), [
    ['excluded_file', 31, 'hlt_skim hlt_hadron of 8/1932: file corrupt: hlt_skim job 31 cancelled before it started — its input e8_r1932_f2.b2raw was flagged corrupt by hlt_skim job 25'],
  ]);
  assert.deepEqual(chains.get('hlt_gamma')!.map((m) => [m.kind, m.jobId, m.chain]), [['excluded_file', undefined, `hlt_skim hlt_gamma of 8/1932: file corrupt: input error in hlt_skim job 25 (${bad} is not a b2raw file)`]]);
  // a job of the slot that failed on another file is not blamed for this one
  const other = [job(40, 'hlt_skim/hlt_bhabha/e8/r1932/c1', 'failed', { errorClass: 'input', errorMessage: 'input error: /raw/e8_r1932_f9.b2raw is not a b2raw file' })];
  const u2 = unitsForRun([skim1], { exp: 8, run: 1932, endTime: ended, files: f }, { ...ctx(other), skims: ['hlt_bhabha'] });
  assert.match(stepCompleteness('hlt_skim', u2.filter((u) => u.chunk === 1)).missing[0].reason, /job 25 \(/);
});

test('when a skim job of a run failed (not an input error), then the cDST made without it names the job and its error', () => {
  const jobs = [job(10, 'hlt_skim/hlt_bhabha/e8/r7/c0', 'succeeded'), job(11, 'hlt_skim/hlt_bhabha/e8/r7/c1', 'failed', { errorClass: 'software', errorMessage: 'boom', attempts: 2 })];
  const outputs = new Map([out(10, '/d/s/e8_r7_c0.b2skim')]);
  const units = unitsForRun([skim1, cdst], { exp: 8, run: 7, endTime: ended, files: files(['transferred', 'transferred']) }, { ...ctx(jobs, outputs), skims: ['hlt_bhabha'] });
  const u = units.find((x) => x.step === 'cdst')!;
  assert.equal(u.status, 'to_plan');
  assert.match(u.excluded[0].reason, /made without e12_r5_f1\.b2raw — software error in hlt_skim job 11 after 2 attempt\(s\): boom/);
});

test('when a skim output is produced after the cDST was made, then the cDST is stale, planned again as generation 2, and incomplete until it succeeds', () => {
  const cdstKey = 'cdst/hlt_bhabha/e8/r7';
  const made = job(50, cdstKey, 'succeeded', { inputs: ['/d/s/e8_r7_c0.b2skim'] });
  const skimJobs = [job(10, 'hlt_skim/hlt_bhabha/e8/r7/c0', 'succeeded'), job(11, 'hlt_skim/hlt_bhabha/e8/r7/c1', 'succeeded', { attempts: 3 })];
  const outputs = new Map([out(10, '/d/s/e8_r7_c0.b2skim'), out(11, '/d/s/e8_r7_c1.b2skim')]);
  const run = { exp: 8, run: 7, endTime: ended, files: files(['transferred', 'transferred']) };
  const c = { ...ctx([...skimJobs, made], outputs), skims: ['hlt_bhabha'] };
  const u = unitsForRun([skim1, cdst], run, c).find((x) => x.step === 'cdst')!;
  assert.equal(u.status, 'to_plan');
  assert.equal(u.key, `${cdstKey}/g2`);
  assert.equal(slotOf(u.key), cdstKey);
  assert.match(u.stale!, /made by job 50 before its inputs changed \(e8_r7_c1\.b2skim produced since\)/);
  assert.equal(stepCompleteness('cdst', [u]).status, 'in_progress');
  assert.equal(stepCompleteness('cdst', [u]).missing[0].kind, 'stale');
  const j = jobForUnit(cdst, u, { bucketId: 1, bucketName: 'b', dataDir: '/data', jobsRoot: '/j', node: 'n', toolkit: 't', localdb: () => '/db', tagChain: () => [] });
  assert.deepEqual(j.outputs, ['/data/b/cdst/hlt_bhabha/e8_r7.g2.b2cdst']);
  // generation 2 running: still stale; succeeded: complete
  const running = unitsForRun([skim1, cdst], run, { ...c, jobs: new Map([...c.jobs, [`${cdstKey}/g2`, job(60, `${cdstKey}/g2`, 'running', { inputs: u.inputs })]]) }).find((x) => x.step === 'cdst')!;
  assert.equal(running.job!.id, 60);
  assert.ok(running.stale);
  const redone = unitsForRun([skim1, cdst], run, { ...c, jobs: new Map([...c.jobs, [`${cdstKey}/g2`, job(60, `${cdstKey}/g2`, 'succeeded', { inputs: u.inputs })]]) }).filter((x) => x.step === 'cdst');
  assert.equal(stepCompleteness('cdst', redone).status, 'complete');
});

test('when a skim job of a produced cDST is resubmitted, then the cDST reports stale while it runs', () => {
  const made = job(50, 'cdst/hlt_bhabha/e8/r7', 'succeeded', { inputs: ['/d/s/e8_r7_c0.b2skim'] });
  const skimJobs = [job(10, 'hlt_skim/hlt_bhabha/e8/r7/c0', 'succeeded'), job(11, 'hlt_skim/hlt_bhabha/e8/r7/c1', 'created')];
  const u = unitsForRun([skim1, cdst], { exp: 8, run: 7, endTime: ended, files: files(['transferred', 'transferred']) }, { ...ctx([...skimJobs, made], new Map([out(10, '/d/s/e8_r7_c0.b2skim')])), skims: ['hlt_bhabha'] }).find((x) => x.step === 'cdst')!;
  assert.equal(u.status, 'planned');
  assert.match(u.stale!, /1 hlt_skim unit\(s\) of its inputs are being redone/);
  assert.equal(stepCompleteness('cdst', [u]).complete, false);
});

test('when a bucket has runs with 1–3 files, then expected units follow the slot rules and units that need no job are settled', async () => {
  const { expectedUnits } = await import('../../src/domain/production-totals.ts');
  const runs = [{ files: 1, unusable: 0, reportedBad: 0 }, { files: 3, unusable: 1, reportedBad: 0 }, { files: 2, unusable: 2, reportedBad: 1 }, { files: 0, unusable: 0, reportedBad: 0 }];
  const [s, c] = expectedUnits([skim1, cdst], ['a', 'b'], runs, [{ step: 'hlt_skim', planned: 4, final: 2 }]);
  assert.deepEqual(s, { step: 'hlt_skim', expected: 12, planned: 4, final: 2, settled: 2 });
  assert.deepEqual(c, { step: 'cdst', expected: 6, planned: 0, final: 0, settled: 2 });
});
