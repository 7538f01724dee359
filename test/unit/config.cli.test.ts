import { after, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { cpSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { tmpdir } from 'node:os';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { runConfigCheck } from '../../src/cli/commands/config-check.ts';

const root = fileURLToPath(new URL('../..', import.meta.url));
const tmp = mkdtempSync(join(tmpdir(), 'calibloop-config-cli-'));
after(() => rmSync(tmp, { recursive: true, force: true }));

cpSync(join(root, 'calibrations'), join(tmp, 'calibrations'), { recursive: true });
cpSync(join(root, 'globaltags'), join(tmp, 'globaltags'), { recursive: true });
cpSync(join(root, 'calibrations'), join(tmp, 'broken'), { recursive: true });
writeFileSync(
  join(tmp, 'broken/top_time.yaml'),
  readFileSync(join(tmp, 'broken/top_time.yaml'), 'utf8').replace('depends_on: [cdc_tracking]', 'depends_on: [ghost]'),
);

function capture(options: Parameters<typeof runConfigCheck>[0], env: NodeJS.ProcessEnv = {}) {
  const lines: string[] = [];
  const code = runConfigCheck(options, { out: (l) => lines.push(l), env });
  return { code, lines };
}

const dirs = {
  calibrations: join(tmp, 'calibrations'),
  globaltags: join(tmp, 'globaltags'),
  production: join(tmp, 'production.yaml'),
  demo: join(root, 'config/demo.yaml'),
};

describe('calibloop config check', () => {
  it('when the configuration is fine, then a summary is printed and the exit code is 0', () => {
    const { code, lines } = capture(dirs);
    assert.equal(code, 0);
    assert.deepEqual(lines.length, 1);
    assert.match(lines[0], /7 calibration file\(s\).*no problems$/);
  });

  it('when there is a problem, then it is printed as file: path: message and the exit code is 1', () => {
    const { code, lines } = capture({ ...dirs, calibrations: join(tmp, 'broken') });
    assert.equal(code, 1);
    assert.match(lines[0], /broken\/top_time\.yaml: depends_on\[0\]: depends on unknown calibration "ghost" \(line \d+\)$/);
    assert.match(lines[1], /1 problem in 1 file$/);
  });

  it('when the environment names the directories, then they are used unless a flag is given', () => {
    const env = { CALIBLOOP_CALIBRATIONS_DIR: join(tmp, 'broken'), CALIBLOOP_GLOBALTAGS_DIR: dirs.globaltags };
    assert.equal(capture({ production: dirs.production, demo: dirs.demo }, env).code, 1);
    assert.equal(capture({ ...dirs }, env).code, 0);
  });

  it('when --json is given, then the problems come as JSON', () => {
    const { code, lines } = capture({ ...dirs, calibrations: join(tmp, 'broken'), json: true });
    assert.equal(code, 1);
    const out = JSON.parse(lines.join('\n'));
    assert.equal(out.ok, false);
    assert.equal(out.problems[0].path, 'depends_on[0]');
    assert.match(out.problems[0].file, /top_time\.yaml$/);
  });

  it('when run through commander in a process, then the process exit code reflects the result', () => {
    const script = [
      // The child runs in the temp dir, so modules are imported by absolute URL.
      `import { Command } from ${JSON.stringify(import.meta.resolve('commander'))};`,
      `import { registerConfigCommands } from ${JSON.stringify(pathToFileURL(join(root, 'src/cli/commands/config.ts')).href)};`,
      // Like src/cli/main.ts, the program has a global --json that commander gives to the program, not the command.
      "const program = new Command('calibloop').option('--json');",
      'registerConfigCommands(program);',
      "program.parse(JSON.parse(process.env.CLI_ARGS ?? '[]'), { from: 'user' });",
    ].join('\n');
    const run = (...args: string[]) =>
      spawnSync(process.execPath, ['--import', import.meta.resolve('tsx'), '--input-type=module', '-e', script], {
        cwd: tmp,
        encoding: 'utf8',
        env: {
          ...process.env,
          CLI_ARGS: JSON.stringify(['config', 'check', ...args]),
          CALIBLOOP_CALIBRATIONS_DIR: '',
          CALIBLOOP_GLOBALTAGS_DIR: '',
          CALIBLOOP_PRODUCTION_FILE: '',
        },
        timeout: 60_000,
      });
    // Defaults resolve against the current directory (tmp holds calibrations/ and globaltags/).
    const okRun = run('--calibrations', 'calibrations', '--globaltags', 'globaltags');
    assert.equal(okRun.status, 0, okRun.stderr);
    assert.match(okRun.stdout, /no problems/);
    const bad = run('--calibrations', 'broken');
    assert.equal(bad.status, 1, bad.stderr);
    assert.match(bad.stdout, /^broken\/top_time\.yaml: depends_on\[0\]:/m);
    const json = run('--calibrations', 'broken', '--json');
    assert.equal(json.status, 1, json.stderr);
    assert.equal(JSON.parse(json.stdout).problems[0].path, 'depends_on[0]');
  });
});
