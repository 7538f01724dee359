import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { fileURLToPath } from 'node:url';
import { join } from 'node:path';
import { checkConfig, readProductionSkims, DEFAULT_SKIMS } from '../../src/config/check-config.ts';
import { loadCalibrationGraph, loadCalibrations, loadDemoConfig, loadGlobalTags } from '../../src/config/load-config.ts';
import { CalibrationFileSchema } from '../../src/config/calibration-schema.ts';

const root = fileURLToPath(new URL('../..', import.meta.url));
const calibrationsDir = join(root, 'calibrations');
const globaltagsDir = join(root, 'globaltags');
const productionFile = join(root, 'config/production.yaml');
const demoFile = join(root, 'config/demo.yaml');

/** docs/contracts.md, the table of calibrations. */
const CONTRACT = {
  svd_alignment: { algorithm: 'svd_alignment', payload: 'SVDAlignment', detector: 'svd', inputs: ['hlt_mumu_2trk'], deps: [] },
  cdc_tracking: { algorithm: 'cdc_momentum_scale', payload: 'CDCMomentumScale', detector: 'cdc', inputs: ['hlt_mumu_2trk'], deps: ['svd_alignment'] },
  cdc_dedx: { algorithm: 'cdc_dedx_gain', payload: 'CDCdEdxRunGain', detector: 'cdc', inputs: ['hlt_bhabha', 'hlt_hadron'], deps: ['cdc_tracking'] },
  ecl_energy: { algorithm: 'ecl_energy_scale', payload: 'ECLCrystalEnergyScale', detector: 'ecl', inputs: ['hlt_bhabha'], deps: ['cdc_tracking'] },
  top_time: { algorithm: 'top_module_t0', payload: 'TOPModuleT0', detector: 'top', inputs: ['hlt_mumu_2trk'], deps: ['cdc_tracking'] },
  klm_efficiency: { algorithm: 'klm_strip_efficiency', payload: 'KLMStripEfficiency', detector: 'klm', inputs: ['hlt_mumu_2trk'], deps: ['cdc_tracking'] },
  arich_mask: { algorithm: 'arich_channel_mask', payload: 'ARICHChannelMask', detector: 'arich', inputs: ['hlt_hadron'], deps: [] },
} as const;

describe('shipped configuration', () => {
  it('when checking the shipped files, then there is no problem', () => {
    assert.deepEqual(checkConfig({ calibrationsDir, globaltagsDir, productionFile, demoFile }), []);
  });

  it('when loading calibrations, then the seven of the contract come in dependency order', () => {
    const calibrations = loadCalibrations(calibrationsDir, { productionFile });
    assert.deepEqual(
      calibrations.map((c) => c.name),
      ['arich_mask', 'svd_alignment', 'cdc_tracking', 'cdc_dedx', 'ecl_energy', 'klm_efficiency', 'top_time'],
    );
    for (const c of calibrations) {
      const want = CONTRACT[c.name as keyof typeof CONTRACT];
      assert.equal(c.algorithm, want.algorithm, c.name);
      assert.deepEqual(c.producedPayloads, [want.payload], c.name);
      assert.equal(c.detector, want.detector, c.name);
      assert.deepEqual(c.inputDataNames, want.inputs, c.name);
      assert.deepEqual(c.dependsOn, want.deps, c.name);
      assert.ok(c.expertUsernames.length > 0 && c.description.length > 40, c.name);
      for (const input of c.inputDataNames) assert.ok(c.inputDataFilters[input].length > 0, `${c.name} ${input}`);
      assert.ok(c.sourceFile?.endsWith(`${c.name}.yaml`));
    }
  });

  it('when loading calibrations, then filters are bound to the detector and defaults are resolved', () => {
    const { byName, graph } = loadCalibrationGraph(calibrationsDir);
    const ecl = byName.get('ecl_energy')!;
    const dq = ecl.inputDataFilters.hlt_bhabha.find((f) => f.text === 'data_quality good');
    assert.deepEqual(dq, { text: 'data_quality good', negated: false, key: 'data_quality', detector: 'ecl', value: 'good' });
    assert.equal(byName.get('cdc_dedx')!.iovGranularity, 'run');
    assert.equal(ecl.iovGranularity, 'bucket');
    assert.deepEqual(graph.dependentsOf('cdc_tracking'), ['cdc_dedx', 'ecl_energy', 'klm_efficiency', 'top_time']);
  });

  it('when a file omits optional keys, then the defaults apply', () => {
    const parsed = CalibrationFileSchema.parse({
      name: 'x',
      expert_usernames: ['someone'],
      description: 'd',
      detector: 'cdc',
      input_data_formats: ['cdst'],
      input_data_names: ['hlt_bhabha'],
      produced_payloads: ['X'],
      algorithm: 'x_algo',
    });
    assert.equal(parsed.max_iterations, 5);
    assert.equal(parsed.iov_granularity, 'bucket');
    assert.deepEqual(parsed.resources, { memory_mb: 2048, time_limit_s: 3600 });
    assert.deepEqual(parsed.depends_on, []);
    assert.deepEqual(parsed.expert_config, {});
    assert.ok(parsed.command.includes('{expertConfig}'));
    assert.equal(parsed.min_events, undefined);
  });

  it('when loading global tags and the demo config, then resolved values are camelCase', () => {
    const gt = loadGlobalTags(globaltagsDir);
    assert.equal(gt.runningTag, 'data_prompt_running');
    assert.equal(gt.fixingTag, 'data_reprocessing_prompt_fix');
    assert.deepEqual(gt.fixWindow, { hours: 48, closingSoonLeadHours: 6 });
    assert.equal(gt.finalTag.assembly, 'fixes_over_snapshot');
    const demo = loadDemoConfig(demoFile);
    assert.ok(demo.buckets >= 2);
    assert.equal(demo.bucketRuns.length, demo.buckets);
    assert.ok(demo.fixWindowSeconds < 48 * 3600);
  });

  it('when the production config is absent, then the four skims of the contract are known', () => {
    const r = readProductionSkims(join(root, 'config/does-not-exist.yaml'));
    assert.deepEqual(r, { skims: [...DEFAULT_SKIMS], source: 'default', problems: [] });
  });
});
