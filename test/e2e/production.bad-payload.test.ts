/**
 * Blame only what is proven: a junk fix in the cDST tag chain makes the cDST jobs fail reading that payload. That is
 * a conditions error naming the payload file; no raw file is flagged corrupt, no run is flagged, and completeness
 * says "conditions error", not "input error". (Issue #15 finding 8: a junk fix once got good raw files flagged.)
 */
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { Readable } from 'node:stream';
import { runCompleteness } from '../../src/services/production/completeness.ts';
import { uploadPayload } from '../../src/services/conditions/upload-payload.ts';
import { createTag } from '../../src/services/conditions/create-tag.ts';
import { addIovs } from '../../src/services/conditions/add-iov.ts';
import { generateRuns, productionEnv, tickProduction, waitFor, type ProductionTestEnv } from '../helpers/production-support.ts';
import { MANAGER } from '../helpers/conditions-fixtures.ts';

const FIXING = 'data_reprocessing_prompt_fix';
let env: ProductionTestEnv;

before(async () => {
  env = await productionEnv({
    concurrency: 2,
    production: { buckets: { auto_open: true, run_types: ['physics'], max_runs: 2, max_duration_hours: null, max_luminosity_pb: null, idle_hours: null } },
  });
  generateRuns(env.home, { firstRun: 1, lastRun: 2, filesPerRun: 1, eventsPerFile: 20 });
  // a "fix" whose bytes are not a payload at all, valid for every run of experiment 12, first in the cDST chain
  await uploadPayload(env.deps, MANAGER, { name: 'CDCMomentumScale', source: Readable.from([Buffer.from('this is not JSON')]) });
  await createTag(env.deps, MANAGER, { name: FIXING, type: 'auxiliary' });
  await addIovs(env.deps, MANAGER, { tag: FIXING, entries: [{ payload: { name: 'CDCMomentumScale', revision: 1 }, iov: { firstExp: 12, firstRun: 0, finalExp: 12, finalRun: -1 } }] });
});
after(async () => {
  await env.close();
});

test('when a cDST job fails on a malformed fix in its chain, then it is a conditions error naming the payload and no raw file or run is blamed', { timeout: 5 * 60_000 }, async () => {
  await waitFor(
    'the bucket to finish production',
    async () => {
      await tickProduction(env);
      const b = await env.deps.prisma.bucket.findUnique({ where: { name: 'e12_bucket1' } });
      return b && ['produced', 'failed'].includes(b.stage) ? b : undefined;
    },
    { timeoutMs: 4 * 60_000, intervalMs: 100 },
  );
  const cdst = await env.deps.prisma.job.findMany({ where: { step: 'cdst' } });
  assert.equal(cdst.length, 2 * 2);
  for (const j of cdst) {
    assert.equal(j.state, 'failed');
    assert.equal(j.errorClass, 'conditions');
    assert.equal(j.attempts, 1, 'not retried: the payload has to be fixed first');
    assert.match(j.errorMessage ?? '', /dbstore_CDCMomentumScale_rev_1\.root: not a JSON payload/);
  }
  assert.equal(await env.deps.prisma.rawFile.count({ where: { status: 'corrupt' } }), 0, 'no raw file flagged corrupt');
  assert.equal(await env.deps.prisma.run.count({ where: { flag: { not: null } } }), 0, 'no run flagged');
  assert.equal(await env.deps.prisma.job.count({ where: { step: 'hlt_skim', state: 'succeeded' } }), 2 * 2, 'the skims (no conditions) succeeded');
  const c = await runCompleteness(env.deps, 12, 1, 'cdst');
  assert.equal(c.steps[0].status, 'incomplete');
  assert.ok(c.steps[0].missing.length === 2 && c.steps[0].missing.every((m) => m.kind === 'conditions_error' && /conditions error in cdst job \d+/.test(m.chain)));
});
