import assert from 'node:assert/strict';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { b2sim, b2simOk, makeTempDir, writeLocalDb } from './toolkit.helpers.ts';

const SKIM_TRIGGER: Record<string, string> = {
  hlt_bhabha: 'bhabha', hlt_mumu_2trk: 'mumu', hlt_gamma_gamma: 'gamma_gamma', hlt_hadron: 'hadron',
};

function readData(path: string): { header: any; events: any[] } {
  const lines = readFileSync(path, 'utf8').trimEnd().split('\n');
  return { header: JSON.parse(lines[0]), events: lines.slice(1).map((l) => JSON.parse(l)) };
}

describe('toolkit skim/cdst/mdst', () => {
  const tmp = makeTempDir();
  const raw = (run: number, f: number) => join(tmp.dir, 'raw', `e3_r${run}_f${f}.b2raw`);
  const corrupt = join(tmp.dir, 'bad.b2raw');

  before(async () => {
    await b2simOk(['daq', '--exp', 3, '--first-run', 1, '--last-run', 2, '--files-per-run', 2, '--events-per-file', 500,
      '--seed', 7, '--raw-dir', join(tmp.dir, 'raw'), '--runlist-dir', join(tmp.dir, 'runlists')]);
    await b2simOk(['generate', '--exp', 3, '--run', 2, '--file-index', 9, '--events', 100, '--seed', 7, '--output', corrupt, '--corrupt']);
  });
  after(() => tmp.cleanup());

  test('when a run is skimmed, then each skim holds only events of its trigger and the skims partition what fired', async () => {
    const inputs = `${raw(1, 0)},${raw(1, 1)}`;
    let total = 0;
    for (const [skim, trigger] of Object.entries(SKIM_TRIGGER)) {
      const out = join(tmp.dir, 'skim', `r1_${skim}.b2skim`);
      const s = await b2simOk(['skim', '--input', inputs, '--skim', skim, '--output', out]);
      assert.equal(s.eventsIn, 1000);
      assert.deepEqual(s.outputs.map((o: any) => o.path), [out]);
      const { header, events } = readData(out);
      assert.deepEqual([header.format, header.exp, header.run, header.skim, header.events], ['b2skim/1', 3, 1, skim, s.eventsOut]);
      assert.equal(events.length, s.eventsOut);
      assert.ok(events.length > 20, `${skim} selected ${events.length}`);
      for (const ev of events) assert.ok(ev.trg.includes(trigger), `${skim} kept ${JSON.stringify(ev.trg)}`);
      total += s.eventsOut;
    }
    const fired = [raw(1, 0), raw(1, 1)].flatMap((p) => readData(p).events).filter((e) => e.trg.length > 0).length;
    assert.equal(total, fired);
  });

  test('when skims are reconstructed, then the cDST has clusters attached to tracks and records the baseline conditions', async () => {
    const skim = join(tmp.dir, 'skim', 'r2_hlt_bhabha.b2skim');
    await b2simOk(['skim', '--input', raw(2, 0), '--skim', 'hlt_bhabha', '--output', skim]);
    const db = writeLocalDb(join(tmp.dir, 'db-cdst'), [{ name: 'CDCMomentumScale', revision: 4, iov: [0, 0, -1, -1], values: { scale: 1.01 } }]);
    const out = join(tmp.dir, 'cdst', 'r2_bhabha.b2cdst');
    const s = await b2simOk(['cdst', '--input', skim, '--output', out, '--localdb', db]);
    assert.deepEqual(s.conditions, { CDCMomentumScale: 4 });
    const { header, events } = readData(out);
    assert.deepEqual([header.format, header.exp, header.run, header.skim], ['b2cdst/1', 3, 2, 'hlt_bhabha']);
    assert.equal(events.length, s.eventsOut);
    const withCluster = events.flatMap((e) => e.trk).filter((t) => typeof t.e === 'number' && Number.isInteger(t.g));
    assert.ok(withCluster.length > events.length, 'most electrons have a matched cluster');
    const skimmed = readData(skim).events;
    assert.equal(events[0].trk[0].p, skimmed[0].trk[0].p, 'cDST keeps measured (uncorrected) momenta');
  });

  test('when mdst runs with constants in the local database, then it applies them and reports their revisions', async () => {
    const db = writeLocalDb(join(tmp.dir, 'db-mdst'), [
      { name: 'CDCMomentumScale', revision: 1, iov: [0, 0, -1, -1], values: { scale: 1.02 } },
      { name: 'CDCdEdxRunGain', revision: 2, iov: [3, 1, 3, -1], values: { '1': 2.0 } },
    ]);
    const empty = writeLocalDb(join(tmp.dir, 'db-empty'), []);
    const inputs = raw(2, 1);
    const a = await b2simOk(['mdst', '--input', inputs, '--output', join(tmp.dir, 'a.b2mdst'), '--localdb', db, '--exp', 3, '--run', 2]);
    const b = await b2simOk(['mdst', '--input', inputs, '--output', join(tmp.dir, 'b.b2mdst'), '--localdb', empty, '--exp', 3, '--run', 2]);
    assert.deepEqual(a.conditions, { CDCMomentumScale: 1, CDCdEdxRunGain: 2 });
    assert.deepEqual(b.conditions, {});
    assert.equal(a.eventsOut, 500);
    const ea = readData(join(tmp.dir, 'a.b2mdst'));
    const eb = readData(join(tmp.dir, 'b.b2mdst'));
    assert.equal(ea.header.run, 2);
    const ta = ea.events.find((e) => e.trk.length > 0).trk[0];
    const tb = eb.events.find((e) => e.trk.length > 0).trk[0];
    assert.ok(Math.abs(ta.p * 1.02 - tb.p) < 1e-4, 'momentum divided by the scale');
    assert.ok(Math.abs(ta.dedx * 2 - tb.dedx) < 1e-3, 'run 2 uses the gain of the nearest earlier run in the payload');
  });

  for (const [command, extra] of [
    ['skim', ['--skim', 'hlt_bhabha', '--output', 'x.b2skim']],
    ['cdst', ['--output', 'x.b2cdst']],
    ['mdst', ['--output', 'x.b2mdst', '--localdb', '.', '--exp', 3, '--run', 2]],
    ['calibrate', ['--algorithm', 'ecl_energy_scale', '--output-dir', 'cal', '--exp', 3, '--first-run', 1]],
  ] as const) {
    test(`when ${command} reads a corrupt raw file, then it exits 65 with "is not a b2raw file" and writes nothing`, async () => {
      const r = await b2sim([command, '--input', `${raw(2, 0)},${corrupt}`, ...extra], tmp.dir);
      assert.equal(r.code, 65);
      assert.equal(r.summary.error.kind, 'input');
      assert.equal(r.summary.error.message, `input error: ${corrupt} is not a b2raw file`);
      assert.match(r.stderr, /input error: .* is not a b2raw file/);
    });
  }

  test('when an input is truncated or missing, then the command exits 65', async () => {
    const lines = readFileSync(raw(1, 0), 'utf8').split('\n');
    const truncated = join(tmp.dir, 'trunc.b2raw');
    writeFileSync(truncated, `${lines.slice(0, 100).join('\n')}\n`);
    const t = await b2sim(['skim', '--input', truncated, '--skim', 'hlt_hadron', '--output', join(tmp.dir, 't.b2skim')]);
    assert.equal(t.code, 65);
    assert.match(t.summary.error.message, /truncated/);
    const m = await b2sim(['skim', '--input', join(tmp.dir, 'nope.b2raw'), '--skim', 'hlt_hadron', '--output', join(tmp.dir, 't.b2skim')]);
    assert.equal(m.code, 65);
  });

  test('when inputs of two runs are skimmed together or a flag is wrong, then it is a usage error (exit 2), not an input error', async () => {
    const mixed = await b2sim(['skim', '--input', `${raw(1, 0)},${raw(2, 0)}`, '--skim', 'hlt_bhabha', '--output', join(tmp.dir, 'm.b2skim')]);
    assert.equal(mixed.code, 2);
    const unknown = await b2sim(['skim', '--input', raw(1, 0), '--skim', 'hlt_nothing', '--output', join(tmp.dir, 'm.b2skim')]);
    assert.equal(unknown.code, 2);
    const flag = await b2sim(['skim', '--inptu', raw(1, 0)]);
    assert.equal(flag.code, 2);
    assert.equal(flag.summary.error.kind, 'usage');
  });
});
