import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { collectProductionConfig, loadProductionConfig } from '../../src/config/production-schema.ts';
import { readProductionSkims } from '../../src/config/check-config.ts';
import { ROOT_DIR } from '../../src/db/paths.ts';

const shipped = join(ROOT_DIR, 'config', 'production.yaml');

test('when the shipped production.yaml is loaded, then steps come in dependency order with resolved paths', () => {
  const c = loadProductionConfig(shipped, '/srv/calibloop');
  assert.deepEqual(c.steps.filter((s) => s.phase === 'production').map((s) => s.name), ['hlt_skim', 'cdst']);
  assert.equal(c.dataDir, '/srv/calibloop/data');
  assert.deepEqual(c.runSources[0], { name: 'daq', type: 'directory', path: '/srv/calibloop/runlists' });
  assert.deepEqual(c.skims, ['hlt_bhabha', 'hlt_mumu_2trk', 'hlt_gamma_gamma', 'hlt_hadron']);
  assert.ok(c.retry.resource.memoryFactor >= 1.5 && c.retry.resource.memoryFactor <= 2);
});

test('when the config checker reads the shipped file, then it finds the skims list there', () => {
  const r = readProductionSkims(shipped);
  assert.equal(r.source, 'production');
  assert.equal(r.skims.length, 4);
});

test('when a step has an unknown placeholder, an unknown input step or a bad memory factor, then every problem is listed', () => {
  const dir = mkdtempSync(join(tmpdir(), 'prodcfg-'));
  const f = join(dir, 'production.yaml');
  writeFileSync(
    f,
    `skims: [hlt_bhabha]
steps:
  a:
    kind: skim
    input: raw
    command: ['{node}', '{nope}']
    output: 'x_{chunk}'
  b:
    kind: cdst
    input: zz
    command: ['x']
    output: 'y'
retry:
  resource: { memory_factor: 3 }
`,
  );
  const r = collectProductionConfig(f, dir);
  assert.equal(r.config, undefined);
  const paths = r.problems.map((p) => p.path);
  assert.ok(paths.includes('steps.a.command[1]'), paths.join(' '));
  assert.ok(paths.includes('steps.b.input'));
  assert.ok(paths.includes('retry.resource.memory_factor'));
  assert.throws(() => loadProductionConfig(f, dir), { code: 'INVALID_INPUT' });
});
