/**
 * The conditions CLI against a real server: tags, payload upload/download with checksums, IoVs, state changes that need
 * --yes, running update, resolve, history, and the basf2 local database export/import round trip — all with --json.
 */
import { describe, it, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startTestApp, type TestApp } from '../helpers/app.ts';
import { buildProgram } from '../../src/cli/main.ts';

let app: TestApp;
let token: string;
let dir: string;
before(async () => {
  app = await startTestApp();
  token = await app.tokenFor('calibration_manager');
  dir = mkdtempSync(join(tmpdir(), 'calibloop-cli-'));
});
after(async () => {
  await app.close();
  rmSync(dir, { recursive: true, force: true });
});

/** Runs `calibloop --json <args>` in-process and returns the parsed JSON it printed. */
async function cli(...args: string[]): Promise<any> {
  const out: string[] = [];
  const write = process.stdout.write.bind(process.stdout);
  // the CLI prints strings; the test runner's own reports (binary) pass through untouched
  process.stdout.write = ((chunk: string | Uint8Array, ...rest: unknown[]) => {
    if (typeof chunk !== 'string') return (write as (...a: unknown[]) => boolean)(chunk, ...rest);
    out.push(chunk);
    return true;
  }) as typeof process.stdout.write;
  try {
    const program = buildProgram().exitOverride();
    await program.parseAsync(['node', 'calibloop', '--url', app.url, '--token', token, '--json', ...args]);
  } finally {
    process.stdout.write = write;
  }
  const text = out.join('');
  return text.trim() ? JSON.parse(text) : undefined;
}

describe('conditions CLI', () => {
  it('when a manager builds a tag with the CLI, then upload, iov add, state and resolve work end to end', async () => {
    assert.equal((await cli('tag', 'create', 'cli_stage', '--type', 'staging', '--description', 'from the CLI')).state, 'OPEN');
    const file = join(dir, 'gain.root');
    writeFileSync(file, 'gain constants');
    const up = await cli('payload', 'upload', 'CLIGain', file);
    assert.equal(up.revision, 1);
    assert.equal(up.created, true);
    assert.equal((await cli('payload', 'upload', 'CLIGain', file)).created, false);
    const added = await cli('iov', 'add', 'cli_stage', 'CLIGain', '1', '0,0,-1,-1', '--reason', 'first');
    assert.equal(added.name, 'CLIGain');
    await assert.rejects(() => cli('iov', 'add', 'cli_stage', 'CLIGain', '1', '3,0,2,0'), /ends before it starts/);
    await assert.rejects(() => cli('iov', 'add', 'cli_stage', 'CLIGain', '1', '5,0,-1,-1'), /RULE_VIOLATION: 1 overlap/);
    const listed = await cli('iov', 'list', 'cli_stage');
    assert.equal(listed.length, 1, 'iov list prints a JSON array like every list');
    const r = await cli('resolve', '--tag', 'cli_stage', '--exp', '7', '--run', '3');
    assert.deepEqual(r.payloads.map((p: any) => [p.name, p.revision]), [['CLIGain', 1]]);
    const dl = await cli('payload', 'download', 'CLIGain', '1', '--dir', dir);
    assert.equal(readFileSync(dl.file, 'utf8'), 'gain constants');
    assert.equal((await cli('payload', 'show', 'CLIGain')).length, 1);
  });

  it('when PUBLISHED or INVALID is asked without a terminal, then --yes is required; with it the state changes', async () => {
    await cli('tag', 'state', 'cli_stage', 'TESTING', '--reason', 'tests');
    await cli('tag', 'state', 'cli_stage', 'validated');
    await assert.rejects(() => cli('tag', 'state', 'cli_stage', 'PUBLISHED'), /pass --yes/);
    assert.equal((await cli('tag', 'show', 'cli_stage')).state, 'VALIDATED');
    assert.equal((await cli('tag', 'state', 'cli_stage', 'PUBLISHED', '--yes')).state, 'PUBLISHED');
    const h = await cli('tag', 'history', 'cli_stage', '--kind', 'state');
    assert.deepEqual(h.events.map((e: any) => e.details.to), ['PUBLISHED', 'VALIDATED', 'TESTING']);
  });

  it('when a running update is run from the CLI, then --dry-run shows the plan and --yes applies it', async () => {
    await cli('tag', 'create', 'cli_running', '--type', 'running');
    const f2 = join(dir, 'gain2.root');
    writeFileSync(f2, 'gain constants v2');
    await cli('payload', 'upload', 'CLIGain', f2);
    await cli('iov', 'add', 'cli_running', 'CLIGain', '1', '0,0,-1,-1');
    await cli('tag', 'state', 'cli_running', 'RUNNING');
    await cli('tag', 'create', 'cli_staging2', '--type', 'staging');
    await cli('iov', 'add', 'cli_staging2', 'CLIGain', '2', '0,0,-1,-1');
    await cli('tag', 'state', 'cli_staging2', 'TESTING');
    await cli('tag', 'state', 'cli_staging2', 'VALIDATED');
    const plan = await cli('tag', 'runningupdate', 'cli_running', 'cli_staging2', '--first-valid-run', '3,100', '--dry-run');
    assert.equal(plan.applied, false);
    await assert.rejects(() => cli('tag', 'runningupdate', 'cli_running', 'cli_staging2', '--first-valid-run', '3,100'), /pass --yes/);
    const done = await cli('tag', 'runningupdate', 'cli_running', 'cli_staging2', '--first-valid-run', '3,100', '--yes', '--reason', 'bucket 1');
    assert.deepEqual(done.counts, { closed: 1, extended: 0, added: 1 });
    const d = await cli('tag', 'diff', 'cli_running', 'cli_stage');
    assert.ok(d.changed.length + d.added.length + d.removed.length > 0);
    const snap = await cli('tag', 'snapshot', 'cli_running', '--bucket', 'e0003_b0001');
    assert.equal(snap.name, 'data_reprocessing_prompt_snapshot_e0003_b0001');
  });

  it('when a chain is exported and imported with the CLI, then the local database round-trips', async () => {
    const out = join(dir, 'localdb');
    const e = await cli('export', 'localdb', '--tag', 'cli_running', '--out', out);
    assert.equal(e.entries, 2);
    assert.deepEqual(readdirSync(out).sort(), ['database.txt', 'dbstore_CLIGain_rev_1.root', 'dbstore_CLIGain_rev_2.root']);
    assert.match(readFileSync(join(out, 'database.txt'), 'utf8'), /^dbstore\/CLIGain 1 0,0,3,99$/m);
    const i = await cli('import', 'localdb', out, '--tag', 'cli_imported', '--create', 'staging');
    assert.equal(i.created, true);
    assert.equal(i.added, 2);
    const a = await cli('iov', 'list', 'cli_running');
    const b = await cli('iov', 'list', 'cli_imported');
    const text = (l: any) => l.map((x: any) => `${x.name} ${x.revision} ${x.firstExp},${x.firstRun},${x.finalExp},${x.finalRun}`);
    assert.deepEqual(text(b), text(a));
    const one = await cli('export', 'localdb', '--tag', 'cli_running', '--out', join(dir, 'one'), '--exp', '3', '--run', '150');
    assert.equal(one.entries, 1);
  });
});
