import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { readFileSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { b2sim, b2simOk, makeTempDir } from './toolkit.helpers.ts';

describe('toolkit daq/generate/truth', () => {
  const tmp = makeTempDir();
  const daqArgs = (out: string, seed: number) => [
    'daq', '--exp', 12, '--first-run', 5, '--last-run', 7, '--files-per-run', 3, '--events-per-file', 200,
    '--seed', seed, '--corrupt-runs', 6, '--corrupt-fraction', 0.34,
    '--raw-dir', join(tmp.dir, out, 'raw'), '--runlist-dir', join(tmp.dir, out, 'runlists'),
  ];
  let first: any;

  before(async () => {
    first = await b2simOk(daqArgs('a', 42));
    await b2simOk(daqArgs('b', 42));
    await b2simOk(daqArgs('c', 43));
  });
  after(() => tmp.cleanup());

  test('when daq runs twice with the same seed, then every raw file is byte-identical', () => {
    const files = readdirSync(join(tmp.dir, 'a', 'raw')).sort();
    assert.equal(files.length, 9);
    for (const f of files) {
      assert.deepEqual(readFileSync(join(tmp.dir, 'b', 'raw', f)), readFileSync(join(tmp.dir, 'a', 'raw', f)), f);
    }
  });

  test('when the seed differs, then the events differ but the headers still name exp and run', () => {
    const a = readFileSync(join(tmp.dir, 'a', 'raw', 'e12_r5_f0.b2raw'), 'utf8').split('\n');
    const c = readFileSync(join(tmp.dir, 'c', 'raw', 'e12_r5_f0.b2raw'), 'utf8').split('\n');
    assert.notEqual(a[1], c[1]);
    const header = JSON.parse(c[0]);
    assert.deepEqual(header, { format: 'b2raw/1', exp: 12, run: 5, file: 0, events: 200, seed: 43 });
  });

  test('when generate is asked for one file of a daq run, then it writes the same bytes as daq did', async () => {
    const out = join(tmp.dir, 'one.b2raw');
    const s = await b2simOk(['generate', '--exp', 12, '--run', 7, '--file-index', 2, '--events', 200, '--seed', 42, '--output', out]);
    assert.deepEqual(readFileSync(out), readFileSync(join(tmp.dir, 'a', 'raw', 'e12_r7_f2.b2raw')));
    assert.equal(s.outputs[0].path, out);
  });

  test('when daq drops run lists, then each lists its files with true size and sha256 and status transferred', () => {
    for (const run of [5, 6, 7]) {
      const rl = JSON.parse(readFileSync(join(tmp.dir, 'a', 'runlists', `e12_r${run}.json`), 'utf8'));
      assert.equal(rl.runs.length, 1);
      const r = rl.runs[0];
      assert.equal(r.exp, 12);
      assert.equal(r.run, run);
      assert.equal(r.type, 'physics');
      assert.equal(r.eventsOffline, 600);
      assert.ok(r.eventsOnline >= r.eventsOffline);
      assert.equal(r.quality.cdc, 'good');
      assert.equal(r.files.length, 3);
      for (const f of r.files) {
        const bytes = readFileSync(f.path);
        assert.equal(f.size, bytes.length);
        assert.equal(f.checksum, `sha256:${createHash('sha256').update(bytes).digest('hex')}`);
        assert.equal(f.status, 'transferred');
        assert.equal(f.events, 200);
      }
    }
  });

  test('when a run is listed as corrupt, then round(fraction × files) of its files are random bytes', async () => {
    assert.equal(first.corrupt.length, 1);
    assert.match(first.corrupt[0], /e12_r6_f\d\.b2raw$/);
    const r = await b2sim(['skim', '--input', first.corrupt[0], '--skim', 'hlt_bhabha', '--output', join(tmp.dir, 'x.b2skim')]);
    assert.equal(r.code, 65);
    assert.equal(r.summary.error.message, `input error: ${first.corrupt[0]} is not a b2raw file`);
  });

  test('when truth is asked twice, then it answers the same constants within the documented ranges', async () => {
    const t1 = await b2simOk(['truth', '--exp', 12, '--run', 40]);
    const t2 = await b2simOk(['truth', '--exp', 12, '--run', 40]);
    assert.deepEqual(t1, t2);
    const c = t1.constants;
    assert.ok(Math.abs(c.CDCMomentumScale.scale - 1) <= 0.0031);
    assert.ok(c.CDCdEdxRunGain['40'] >= 0.9 && c.CDCdEdxRunGain['40'] <= 1.1);
    assert.equal(Object.keys(c.ECLCrystalEnergyScale).length, 8);
    for (const v of Object.values<number>(c.ECLCrystalEnergyScale)) assert.ok(v > 0.95 && v < 1.05);
    assert.equal(Object.keys(c.TOPModuleT0).length, 16);
    for (const v of Object.values<number>(c.TOPModuleT0)) assert.ok(Math.abs(v) <= 0.3);
    for (const v of Object.values<number>(c.KLMStripEfficiency)) assert.ok(v >= 0.85 && v <= 0.99);
    assert.ok(c.ARICHChannelMask.deadFraction > 0 && c.ARICHChannelMask.deadFraction < 0.1);
    const later = await b2simOk(['truth', '--exp', 12, '--run', 140]);
    assert.notDeepEqual(later.constants.ECLCrystalEnergyScale, c.ECLCrystalEnergyScale, 'constants drift with the run');
  });
});
