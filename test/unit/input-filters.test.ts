import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import {
  bindFilterDetector,
  evaluateInputFilter,
  parseInputFilter,
  runPassesFilters,
  type InputFilter,
  type RunFilterMetadata,
} from '../../src/domain/input-filters.ts';

function parse(text: string): InputFilter {
  const r = parseInputFilter(text);
  if (!r.ok) throw new Error(r.error);
  return r.filter;
}

const goodPhysicsRun: RunFilterMetadata = {
  type: 'physics',
  quality: { svd: 'good', cdc: 'good', ecl: 'good', top: 'good', arich: 'good', klm: 'good' },
  beamEnergy: '4S',
  magnet: 'on',
};

describe('input filter parsing', () => {
  it('when a clause is well formed, then key, value, negation and detector are parsed', () => {
    assert.deepEqual(parse('run_type physics'), { text: 'run_type physics', negated: false, key: 'run_type', value: 'physics' });
    assert.deepEqual(parse('  NOT   run_type   cosmic '), {
      text: 'NOT run_type cosmic',
      negated: true,
      key: 'run_type',
      value: 'cosmic',
    });
    assert.deepEqual(parse('data_quality good'), {
      text: 'data_quality good',
      negated: false,
      key: 'data_quality',
      detector: undefined,
      value: 'good',
    });
    assert.equal((parse('data_quality.cdc bad') as { detector?: string }).detector, 'cdc');
    assert.equal((parse('data_quality.all good') as { detector?: string }).detector, 'all');
    assert.equal(parse('beam_energy 4S').value, '4S');
    assert.equal(parse('magnet off').value, 'off');
  });

  it('when a clause is malformed, then the error says why', () => {
    const cases: Array<[string, RegExp]> = [
      ['', /empty filter/],
      ['run_type', /expected "\[NOT \]<key> <value>"/],
      ['run_type physics extra', /expected/],
      ['NOT', /expected/],
      ['lumi high', /unknown filter key "lumi"/],
      ['not run_type cosmic', /NOT" in capitals/],
      ['data_quality excellent', /data_quality value "excellent"/],
      ['data_quality.hcal good', /unknown detector "hcal"/],
      ['run_type.cdc physics', /takes no "\.<detector>" qualifier/],
      ['beam_energy 5S', /beam_energy value "5S"/],
      ['magnet maybe', /magnet value "maybe"/],
      ['run_type Physics!', /lower-case word/],
    ];
    for (const [text, re] of cases) {
      const r = parseInputFilter(text);
      assert.equal(r.ok, false, text);
      if (!r.ok) assert.match(r.error, re, text);
    }
  });
});

describe('input filter evaluation', () => {
  it('when the run matches a clause, then it passes, and NOT turns it into a failure', () => {
    assert.equal(evaluateInputFilter(parse('run_type physics'), goodPhysicsRun), 'pass');
    assert.equal(evaluateInputFilter(parse('NOT run_type physics'), goodPhysicsRun), 'fail');
    assert.equal(evaluateInputFilter(parse('NOT run_type cosmic'), goodPhysicsRun), 'pass');
    assert.equal(evaluateInputFilter(parse('run_type cosmic'), { ...goodPhysicsRun, type: 'cosmic' }), 'pass');
    assert.equal(evaluateInputFilter(parse('NOT run_type cosmic'), { ...goodPhysicsRun, type: 'cosmic' }), 'fail');
  });

  it('when data_quality has no qualifier, then the calibration detector is used', () => {
    const run = { ...goodPhysicsRun, quality: { ...goodPhysicsRun.quality, ecl: 'bad' as const } };
    const f = parse('data_quality good');
    assert.equal(evaluateInputFilter(f, run, 'cdc'), 'pass');
    assert.equal(evaluateInputFilter(f, run, 'ecl'), 'fail');
    assert.equal(evaluateInputFilter(bindFilterDetector(f, 'ecl'), run), 'fail');
    assert.equal(evaluateInputFilter(bindFilterDetector(f, 'ecl'), run, 'cdc'), 'fail', 'binding wins over the default');
    assert.equal(evaluateInputFilter(parse('NOT data_quality bad'), run, 'ecl'), 'fail');
    assert.equal(evaluateInputFilter(parse('data_quality.ecl bad'), run), 'pass');
  });

  it('when data_quality.all is used, then every listed detector must have that quality', () => {
    assert.equal(evaluateInputFilter(parse('data_quality.all good'), goodPhysicsRun), 'pass');
    const ugly = { ...goodPhysicsRun, quality: { ...goodPhysicsRun.quality, klm: 'ugly' as const } };
    assert.equal(evaluateInputFilter(parse('data_quality.all good'), ugly), 'fail');
    assert.equal(evaluateInputFilter(parse('NOT data_quality.all good'), ugly), 'pass');
    assert.equal(evaluateInputFilter(parse('data_quality.all good'), { ...goodPhysicsRun, quality: {} }), 'unknown');
  });

  it('when the run lacks the field, then the clause is unknown, also under NOT', () => {
    const bare: RunFilterMetadata = { type: 'physics', quality: { cdc: 'good' } };
    assert.equal(evaluateInputFilter(parse('beam_energy 4S'), bare), 'unknown');
    assert.equal(evaluateInputFilter(parse('NOT beam_energy scan'), bare), 'unknown');
    assert.equal(evaluateInputFilter(parse('magnet on'), { ...bare, magnet: null }), 'unknown');
    assert.equal(evaluateInputFilter(parse('data_quality good'), bare, 'pxd'), 'unknown');
    assert.equal(evaluateInputFilter(parse('beam_energy 4S'), { ...bare, beamEnergy: '4s' }), 'pass', 'case-insensitive');
  });

  it('when several clauses are given, then all must pass and unknown ones follow the chosen policy', () => {
    const filters = ['run_type physics', 'data_quality good', 'NOT beam_energy scan', 'magnet on'].map(parse);
    const bare: RunFilterMetadata = { type: 'physics', quality: { cdc: 'good' } };
    assert.deepEqual(runPassesFilters(filters, goodPhysicsRun, { detector: 'cdc' }), {
      accepted: true,
      failed: [],
      unknown: [],
    });
    assert.deepEqual(runPassesFilters(filters, bare, { detector: 'cdc' }), {
      accepted: true,
      failed: [],
      unknown: ['NOT beam_energy scan', 'magnet on'],
    });
    assert.equal(runPassesFilters(filters, bare, { detector: 'cdc', unknown: 'reject' }).accepted, false);
    const cosmic = { ...goodPhysicsRun, type: 'cosmic', beamEnergy: 'scan' };
    assert.deepEqual(runPassesFilters(filters, cosmic, { detector: 'cdc' }), {
      accepted: false,
      failed: ['run_type physics', 'NOT beam_energy scan'],
      unknown: [],
    });
    assert.equal(runPassesFilters([], cosmic).accepted, true, 'no filter accepts everything');
  });
});
