/**
 * The basf2 local database as the toolkit reads it (through `mdst`, which reports the revision it resolved for each
 * payload, and `calibrate`, which reports the dependencies it used): for each payload name the last line whose IoV
 * covers (exp, run) wins; `e2=-1,r2=-1` is open-ended, `r2=-1` covers every run of e2.
 */
import assert from 'node:assert/strict';
import { rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { b2sim, b2simOk, makeTempDir, writeLocalDb } from './toolkit.helpers.ts';

describe('toolkit local database reader', () => {
  const tmp = makeTempDir();
  const file = (exp: number, run: number) => join(tmp.dir, `e${exp}_r${run}.b2raw`);
  let db = '';

  before(async () => {
    for (const [exp, run] of [[12, 2], [12, 4], [12, 7], [12, 900], [13, 1], [11, 50]]) {
      await b2simOk(['generate', '--exp', exp, '--run', run, '--events', 30, '--seed', 1, '--output', file(exp, run)]);
    }
    db = writeLocalDb(join(tmp.dir, 'db'), [
      { name: 'CDCMomentumScale', revision: 1, iov: [0, 0, -1, -1], values: { scale: 1.001 } },
      { name: 'CDCMomentumScale', revision: 2, iov: [12, 5, -1, -1], values: { scale: 1.002 } },
      { name: 'CDCMomentumScale', revision: 3, iov: [12, 1, 12, 3], values: { scale: 1.003 } },
      { name: 'TOPModuleT0', revision: 1, iov: [12, 0, 12, -1], values: {} },
      { name: 'TOPModuleT0', revision: 2, iov: [11, 0, 11, -1], values: {} },
      { name: 'ECLCrystalEnergyScale', revision: 4, iov: [0, 0, -1, -1], values: {} },
      { name: 'ECLCrystalEnergyScale', revision: 5, iov: [0, 0, -1, -1], values: {} },
      { name: 'KLMStripEfficiency', revision: 6, iov: [12, 3, 12, 6], values: {} },
    ]);
  });
  after(() => tmp.cleanup());

  async function resolved(exp: number, run: number): Promise<Record<string, number>> {
    const s = await b2simOk(['mdst', '--input', file(exp, run), '--output', join(tmp.dir, 'out', `${exp}_${run}.b2mdst`),
      '--localdb', db, '--exp', exp, '--run', run]);
    return s.conditions;
  }

  test('when several lines cover a run, then the last one in the file wins', async () => {
    assert.equal((await resolved(12, 2)).CDCMomentumScale, 3);
    assert.equal((await resolved(12, 7)).CDCMomentumScale, 2);
    assert.equal((await resolved(12, 2)).ECLCrystalEnergyScale, 5);
  });

  test('when a later line is closed before the run, then an earlier open-ended line still covers it', async () => {
    assert.equal((await resolved(12, 4)).CDCMomentumScale, 1, 'rev 3 ends at run 3, rev 2 starts at run 5');
    assert.equal((await resolved(13, 1)).CDCMomentumScale, 2, 'rev 2 is open-ended into later experiments');
  });

  test('when r2 is -1, then the IoV covers every run of e2 and nothing after it', async () => {
    assert.equal((await resolved(12, 900)).TOPModuleT0, 1);
    assert.equal((await resolved(11, 50)).TOPModuleT0, 2);
    assert.equal((await resolved(13, 1)).TOPModuleT0, undefined);
  });

  test('when the IoV is closed on both ends, then only runs inside it see the payload', async () => {
    assert.equal((await resolved(12, 4)).KLMStripEfficiency, 6);
    assert.equal((await resolved(12, 2)).KLMStripEfficiency, undefined);
    assert.equal((await resolved(12, 7)).KLMStripEfficiency, undefined);
  });

  test('when a calibration reads its dependencies, then it resolves them per input run and reports the revisions', async () => {
    const r = await b2simOk(['calibrate', '--algorithm', 'klm_strip_efficiency', '--input', `${file(12, 2)},${file(12, 7)}`,
      '--output-dir', join(tmp.dir, 'cal'), '--exp', 12, '--first-run', 2, '--localdb', db, '--expert-config', '{"min_events": 0, "min_extrapolated_hits": 0}']);
    assert.deepEqual(r.metrics.conditions.used, { CDCMomentumScale: [2, 3] });
  });

  test('when database.txt is malformed or a payload file is missing, then reading it is an input error', async () => {
    const bad = join(tmp.dir, 'bad');
    writeLocalDb(bad, [{ name: 'CDCMomentumScale', revision: 1, iov: [0, 0, -1, -1], values: { scale: 1 } }]);
    writeFileSync(join(bad, 'database.txt'), 'dbstore/CDCMomentumScale 1 0,0,-1\n');
    const malformed = await b2sim(['mdst', '--input', file(12, 2), '--output', join(tmp.dir, 'x.b2mdst'), '--localdb', bad, '--exp', 12, '--run', 2]);
    assert.equal(malformed.code, 65);
    assert.match(malformed.summary.error.message, /database\.txt:1: malformed/);
    writeFileSync(join(bad, 'database.txt'), '# comment\n\ndbstore/CDCMomentumScale 1 0,0,-1,-1\n');
    rmSync(join(bad, 'dbstore_CDCMomentumScale_rev_1.root'));
    const missing = await b2sim(['mdst', '--input', file(12, 2), '--output', join(tmp.dir, 'x.b2mdst'), '--localdb', bad, '--exp', 12, '--run', 2]);
    assert.equal(missing.code, 65);
    assert.match(missing.summary.error.message, /payload file missing/);
  });
});
