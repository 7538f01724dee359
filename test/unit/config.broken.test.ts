import { after, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { fileURLToPath } from 'node:url';
import { cpSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync, unlinkSync } from 'node:fs';
import { basename, join } from 'node:path';
import { tmpdir } from 'node:os';
import { parseDocument, type Document } from 'yaml';
import { checkConfig, type ConfigProblem } from '../../src/config/check-config.ts';
import { loadCalibrations, loadDemoConfig, loadGlobalTags } from '../../src/config/load-config.ts';
import { DomainError } from '../../src/domain/errors.ts';

const root = fileURLToPath(new URL('../..', import.meta.url));
const tmpRoot = mkdtempSync(join(tmpdir(), 'calibloop-config-broken-'));
after(() => rmSync(tmpRoot, { recursive: true, force: true }));

interface Copy {
  calibrationsDir: string;
  globaltagsDir: string;
  productionFile: string;
  demoFile: string;
  cal: (name: string) => string;
}

let counter = 0;
/** A fresh copy of the shipped configuration (no production.yaml: the contract's skims apply). */
function freshCopy(): Copy {
  const dir = join(tmpRoot, String(counter++));
  mkdirSync(join(dir, 'config'), { recursive: true });
  cpSync(join(root, 'calibrations'), join(dir, 'calibrations'), { recursive: true });
  cpSync(join(root, 'globaltags'), join(dir, 'globaltags'), { recursive: true });
  cpSync(join(root, 'config/demo.yaml'), join(dir, 'config/demo.yaml'));
  const calibrationsDir = join(dir, 'calibrations');
  return {
    calibrationsDir,
    globaltagsDir: join(dir, 'globaltags'),
    productionFile: join(dir, 'config/production.yaml'),
    demoFile: join(dir, 'config/demo.yaml'),
    cal: (name) => join(calibrationsDir, `${name}.yaml`),
  };
}

function edit(file: string, change: (doc: Document) => void): void {
  const doc = parseDocument(readFileSync(file, 'utf8'));
  change(doc);
  writeFileSync(file, doc.toString());
}

const check = (c: Copy) => checkConfig(c);

/** Exactly one problem, in `file` (base name) at `path`, whose message matches. */
function expectOnly(problems: ConfigProblem[], file: string, path: string, message: RegExp): ConfigProblem {
  assert.equal(problems.length, 1, `expected one problem, got:\n${JSON.stringify(problems, null, 2)}`);
  return expectProblem(problems, file, path, message);
}

function expectProblem(problems: ConfigProblem[], file: string, path: string, message: RegExp): ConfigProblem {
  const p = problems.find((q) => basename(q.file) === file && q.path === path && message.test(q.message));
  assert.ok(p, `no problem ${file} ${path} ${message} in:\n${JSON.stringify(problems, null, 2)}`);
  return p;
}

describe('broken calibration files', () => {
  it('when a file has a YAML syntax error, then file and line are reported', () => {
    const c = freshCopy();
    const text = readFileSync(c.cal('top_time'), 'utf8').replace('detector: top', 'detector: [top');
    writeFileSync(c.cal('top_time'), text);
    const p = expectOnly(check(c), 'top_time.yaml', '', /^YAML syntax error at line \d+, column \d+/);
    assert.ok(p.line && p.line > 1);
  });

  it('when a value has the wrong type or enum, then the field path and its line are reported', () => {
    const c = freshCopy();
    edit(c.cal('ecl_energy'), (d) => d.set('detector', 'hcal'));
    const p = expectOnly(check(c), 'ecl_energy.yaml', 'detector', /expected one of "pxd"\|"svd"/);
    assert.equal(p.line, readFileSync(c.cal('ecl_energy'), 'utf8').split('\n').findIndex((l) => l.startsWith('detector:')) + 1);
  });

  it('when a key is unknown or missing, then each is reported by name', () => {
    const c = freshCopy();
    edit(c.cal('klm_efficiency'), (d) => {
      d.set('expert_username', 'klm_expert');
      d.delete('algorithm');
      d.setIn(['resources', 'memory_mb'], -1);
      d.set('max_iterations', 0);
      d.set('input_data_formats', ['cdst', 'root']);
    });
    const problems = check(c);
    assert.equal(problems.length, 5, JSON.stringify(problems, null, 2));
    expectProblem(problems, 'klm_efficiency.yaml', 'expert_username', /unknown key "expert_username"/);
    expectProblem(problems, 'klm_efficiency.yaml', 'algorithm', /missing required key/);
    expectProblem(problems, 'klm_efficiency.yaml', 'resources.memory_mb', />=64/);
    expectProblem(problems, 'klm_efficiency.yaml', 'max_iterations', />=1/);
    expectProblem(problems, 'klm_efficiency.yaml', 'input_data_formats[1]', /"raw"\|"cdst"\|"mdst"\|"udst"/);
  });

  it('when the name differs from the file name, then name is reported', () => {
    const c = freshCopy();
    edit(c.cal('svd_alignment'), (d) => d.set('name', 'svd_align'));
    expectOnly(check(c), 'svd_alignment.yaml', 'name', /name "svd_align" must equal the file's base name "svd_alignment"/);
  });

  it('when a name is longer than 64 characters, then name is reported', () => {
    const c = freshCopy();
    const long = 'a'.repeat(65);
    cpSync(c.cal('arich_mask'), c.cal(long));
    unlinkSync(c.cal('arich_mask'));
    edit(c.cal(long), (d) => d.set('name', long));
    expectOnly(check(c), `${long}.yaml`, 'name', /64/);
  });

  it('when two files hold the same name, then the later file is reported as duplicate', () => {
    const c = freshCopy();
    cpSync(c.cal('cdc_tracking'), c.cal('cdc_tracking_v2'));
    const problems = check(c);
    assert.equal(problems.length, 2, JSON.stringify(problems, null, 2));
    expectProblem(problems, 'cdc_tracking_v2.yaml', 'name', /must equal the file's base name/);
    expectProblem(problems, 'cdc_tracking_v2.yaml', 'name', /duplicate calibration name "cdc_tracking" \(also in .*cdc_tracking\.yaml\)/);
  });

  it('when depends_on names an unknown calibration, then the entry is reported', () => {
    const c = freshCopy();
    edit(c.cal('top_time'), (d) => d.set('depends_on', ['cdc_trackng']));
    expectOnly(check(c), 'top_time.yaml', 'depends_on[0]', /unknown calibration "cdc_trackng"/);
  });

  it('when dependencies form a cycle, then the cycle is printed', () => {
    const c = freshCopy();
    edit(c.cal('svd_alignment'), (d) => d.set('depends_on', ['klm_efficiency']));
    expectOnly(
      check(c),
      'cdc_tracking.yaml',
      'depends_on',
      /^dependency cycle: cdc_tracking → svd_alignment → klm_efficiency → cdc_tracking$/,
    );
  });

  it('when an input is not a known skim, then the entry is reported', () => {
    const c = freshCopy();
    edit(c.cal('arich_mask'), (d) => d.set('input_data_names', ['hlt_hadron', 'hlt_dimuon']));
    expectOnly(check(c), 'arich_mask.yaml', 'input_data_names[1]', /unknown skim "hlt_dimuon"; known skims \(from docs\/contracts\.md\)/);
  });

  it('when production.yaml lists the skims, then only those are known', () => {
    const c = freshCopy();
    writeFileSync(c.productionFile, 'skims: [hlt_bhabha, hlt_mumu_2trk]\nsteps: []\n');
    const problems = check(c);
    assert.equal(problems.length, 2, JSON.stringify(problems, null, 2));
    expectProblem(problems, 'arich_mask.yaml', 'input_data_names[0]', /unknown skim "hlt_hadron"; known skims \(from .*production\.yaml\): hlt_bhabha, hlt_mumu_2trk/);
    expectProblem(problems, 'cdc_dedx.yaml', 'input_data_names[1]', /unknown skim "hlt_hadron"/);
  });

  it('when production.yaml has a malformed skims key, then it is reported and the default skims apply', () => {
    const c = freshCopy();
    writeFileSync(c.productionFile, 'skims: hlt_bhabha\n');
    expectOnly(check(c), 'production.yaml', 'skims', /expected array/);
  });

  it('when filters are given for an input that is not listed, then the filter key is reported', () => {
    const c = freshCopy();
    edit(c.cal('ecl_energy'), (d) => d.setIn(['input_data_filters', 'hlt_hadron'], ['run_type physics']));
    expectOnly(check(c), 'ecl_energy.yaml', 'input_data_filters.hlt_hadron', /not in input_data_names \(hlt_bhabha\)/);
  });

  it('when a filter has bad syntax, an unknown key or value, then each clause is reported', () => {
    const c = freshCopy();
    edit(c.cal('cdc_dedx'), (d) => {
      d.setIn(['input_data_filters', 'hlt_bhabha'], ['run_type', 'luminosity high', 'data_quality.hcal good']);
      d.setIn(['input_data_filters', 'hlt_hadron'], ['NOT beam_energy 5S', 'not run_type cosmic']);
    });
    const problems = check(c);
    assert.equal(problems.length, 5, JSON.stringify(problems, null, 2));
    expectProblem(problems, 'cdc_dedx.yaml', 'input_data_filters.hlt_bhabha[0]', /bad filter "run_type": expected/);
    expectProblem(problems, 'cdc_dedx.yaml', 'input_data_filters.hlt_bhabha[1]', /unknown filter key "luminosity"/);
    expectProblem(problems, 'cdc_dedx.yaml', 'input_data_filters.hlt_bhabha[2]', /unknown detector "hcal"/);
    expectProblem(problems, 'cdc_dedx.yaml', 'input_data_filters.hlt_hadron[0]', /beam_energy value "5S"/);
    expectProblem(problems, 'cdc_dedx.yaml', 'input_data_filters.hlt_hadron[1]', /NOT" in capitals/);
  });

  it('when a command template has an unknown placeholder, then the argv element is reported', () => {
    const c = freshCopy();
    edit(c.cal('top_time'), (d) => {
      const argv = (d.toJS() as { command: string[] }).command;
      argv[argv.indexOf('{outputDir}')] = '{outdir}';
      argv.push('--tag={globaltag');
      d.set('command', argv);
    });
    const problems = check(c);
    assert.equal(problems.length, 2, JSON.stringify(problems, null, 2));
    expectProblem(problems, 'top_time.yaml', 'command[8]', /unknown placeholder "\{outdir\}"/);
    expectProblem(problems, 'top_time.yaml', 'command[19]', /unbalanced/);
  });

  it('when two calibrations produce the same payload, then the second one is reported', () => {
    const c = freshCopy();
    edit(c.cal('top_time'), (d) => d.set('produced_payloads', ['TOPModuleT0', 'ECLCrystalEnergyScale']));
    expectOnly(
      check(c),
      'top_time.yaml',
      'produced_payloads[1]',
      /payload "ECLCrystalEnergyScale" is also produced by calibration "ecl_energy"/,
    );
  });

  it('when the calibrations directory is missing or empty, then the directory is reported', () => {
    const c = freshCopy();
    rmSync(c.calibrationsDir, { recursive: true });
    expectOnly(check(c), 'calibrations', '', /directory not found/);
    mkdirSync(c.calibrationsDir);
    expectOnly(check(c), 'calibrations', '', /no calibration files/);
  });

  it('when the loader meets problems, then it throws INVALID_INPUT listing all of them', () => {
    const c = freshCopy();
    edit(c.cal('top_time'), (d) => d.set('depends_on', ['ghost']));
    edit(c.cal('ecl_energy'), (d) => d.set('detector', 'hcal'));
    assert.throws(
      () => loadCalibrations(c.calibrationsDir),
      (e: unknown) => {
        assert.ok(e instanceof DomainError);
        assert.equal(e.code, 'INVALID_INPUT');
        assert.match(e.message, /2 problems/);
        assert.match(e.message, /ecl_energy\.yaml: detector:/);
        assert.match(e.message, /top_time\.yaml: depends_on\[0\]: depends on unknown calibration "ghost"/);
        assert.equal((e.details as ConfigProblem[]).length, 2);
        return true;
      },
    );
  });
});

describe('broken global tag and demo files', () => {
  it('when a pattern has an unknown placeholder or lacks {bucket}, then the key is reported', () => {
    const c = freshCopy();
    const file = join(c.globaltagsDir, 'prompt.yaml');
    edit(file, (d) => {
      d.set('snapshot_pattern', 'data_reprocessing_prompt_snapshot_{bukket}');
      d.set('final_tag_pattern', 'data_reprocessing_prompt_final');
      d.set('running_tag', 'data_prompt_{bucket}');
    });
    const problems = check(c);
    assert.equal(problems.length, 4, JSON.stringify(problems, null, 2));
    expectProblem(problems, 'prompt.yaml', 'snapshot_pattern', /unknown placeholder "\{bukket\}"/);
    expectProblem(problems, 'prompt.yaml', 'snapshot_pattern', /must contain \{bucket\}/);
    expectProblem(problems, 'prompt.yaml', 'final_tag_pattern', /must contain \{bucket\}/);
    expectProblem(problems, 'prompt.yaml', 'running_tag', /takes no placeholder/);
  });

  it('when a chain has an unknown or misplaced placeholder, then the entry is reported', () => {
    const c = freshCopy();
    const file = join(c.globaltagsDir, 'prompt.yaml');
    edit(file, (d) => {
      d.setIn(['chains', 'calibration'], ['{fixing}', '{staging}', '{running}']);
      d.setIn(['chains', 'prompt'], ['copy_of_{snapshot}']);
      d.deleteIn(['chains', 'reprocessing']);
    });
    const problems = check(c);
    assert.equal(problems.length, 3, JSON.stringify(problems, null, 2));
    expectProblem(problems, 'prompt.yaml', 'chains.calibration[1]', /unknown placeholder "\{staging\}"/);
    expectProblem(problems, 'prompt.yaml', 'chains.prompt[0]', /must be a whole chain entry/);
    expectProblem(problems, 'prompt.yaml', 'chains.reprocessing', /missing required key/);
  });

  it('when two tag roles name the same tag or the lead time exceeds the window, then it is reported', () => {
    const c = freshCopy();
    const file = join(c.globaltagsDir, 'prompt.yaml');
    edit(file, (d) => {
      d.set('fixing_tag', 'data_prompt_running');
      d.setIn(['fix_window', 'closing_soon_lead_hours'], 48);
    });
    const problems = check(c);
    assert.equal(problems.length, 2, JSON.stringify(problems, null, 2));
    expectProblem(problems, 'prompt.yaml', 'fix_window.closing_soon_lead_hours', /shorter than the window/);
    expectProblem(problems, 'prompt.yaml', 'fixing_tag', /names the same tag as running_tag/);
  });

  it('when the global tag file is missing, then it is reported and the loader throws', () => {
    const c = freshCopy();
    rmSync(join(c.globaltagsDir, 'prompt.yaml'));
    expectOnly(check(c), 'prompt.yaml', '', /file not found/);
    assert.throws(() => loadGlobalTags(c.globaltagsDir), (e: unknown) => e instanceof DomainError && e.code === 'INVALID_INPUT');
  });

  it('when the demo config has one bucket or a corrupt run outside the runs, then the field is reported', () => {
    const c = freshCopy();
    edit(c.demoFile, (d) => d.set('buckets', 1));
    expectOnly(check(c), 'demo.yaml', 'buckets', />=2/);
    edit(c.demoFile, (d) => {
      d.set('buckets', 2);
      d.set('corrupt_runs', [3, 99]);
    });
    expectOnly(check(c), 'demo.yaml', 'corrupt_runs[1]', /run 99 is outside the demo runs 1-8/);
    assert.throws(() => loadDemoConfig(c.demoFile), (e: unknown) => e instanceof DomainError && /corrupt_runs\[1\]/.test(e.message));
  });
});
