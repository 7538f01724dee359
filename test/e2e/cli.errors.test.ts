/**
 * Every class of CLI failure, through the real executable (bin/calibloop.js as a child process) against a real
 * server: under --json the error is `{"error": {code, message, details}}` on stdout and the exit code is the
 * documented one (docs/cli.md): 2 usage, 3 not found, 4 no token/forbidden, 5 conflict or rule, 6 server/unreachable.
 */
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { createServer } from 'node:net';
import { join } from 'node:path';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { startTestApp, type TestApp } from '../helpers/app.ts';
import { seedBucket, ensureRunningTag } from '../helpers/loop-fixtures.ts';
import { ROOT_DIR } from '../../src/db/paths.ts';
import { EXIT } from '../../src/cli/exit-codes.ts';

let app: TestApp;
let manager: string;
let expert: string;

interface Ran {
  code: number;
  stdout: string;
  stderr: string;
}

function cli(args: string[], env: Record<string, string> = {}): Promise<Ran> {
  return new Promise((resolve) => {
    execFile(process.execPath, [join(ROOT_DIR, 'bin', 'calibloop.js'), ...args], { env: { ...process.env, CALIBLOOP_URL: app.url, CALIBLOOP_TOKEN: '', ...env } }, (err, stdout, stderr) =>
      resolve({ code: err ? Number((err as { code?: number }).code ?? 1) : 0, stdout, stderr }),
    );
  });
}

async function jsonError(args: string[], env: Record<string, string> = {}) {
  const r = await cli(['--json', ...args], env);
  let body: any;
  assert.doesNotThrow(() => (body = JSON.parse(r.stdout)), `stdout is JSON for ${args.join(' ')}: ${r.stdout} ${r.stderr}`);
  assert.deepEqual(Object.keys(body), ['error']);
  assert.deepEqual(Object.keys(body.error).sort(), ['code', 'details', 'message']);
  return { code: r.code, error: body.error as { code: string; message: string; details: unknown } };
}

before(async () => {
  app = await startTestApp();
  await seedBucket(app.deps.prisma, { firstRun: 1, lastRun: 4, stage: 'producing' });
  await ensureRunningTag(app.deps);
  manager = await app.tokenFor('calibration_manager');
  expert = await app.tokenFor('detector_expert', ['ecl']);
});
after(async () => {
  await app.close();
});

const cases: Array<{ name: string; args: () => string[]; token?: () => string; exit: number; code: string; message: RegExp; suggestions?: string[] }> = [
  { name: 'an unknown command', args: () => ['tag', 'lisst'], exit: EXIT.USAGE, code: 'INVALID_INPUT', message: /unknown command 'lisst'[\s\S]*list/ },
  { name: 'an unknown option', args: () => ['tag', 'list', '--bogus'], exit: EXIT.USAGE, code: 'INVALID_INPUT', message: /unknown option '--bogus'/ },
  { name: 'a run written E:R', args: () => ['iov', 'list', 'data_prompt_running', '--run', '12:3'], exit: EXIT.USAGE, code: 'INVALID_INPUT', message: /--run: "12:3" is not a run; write exp,run/ },
  { name: 'half a run', args: () => ['resolve', '--tag', 'data_prompt_running', '--exp', '12'], exit: EXIT.USAGE, code: 'INVALID_INPUT', message: /--run/ },
  { name: 'a run given as two numbers', args: () => ['run', 'show', '12'], token: () => manager, exit: EXIT.USAGE, code: 'INVALID_INPUT', message: /<E,R>: "12" is not a run/ },
  { name: 'an integer option that is not one', args: () => ['job', 'list', '--exp', 'twelve'], token: () => manager, exit: EXIT.USAGE, code: 'INVALID_INPUT', message: /--exp <n>.*"twelve" is not an integer/ },
  { name: 'invalid input the server refuses', args: () => ['tag', 'create', 'bad name!', '--type', 'running'], token: () => manager, exit: EXIT.USAGE, code: 'INVALID_INPUT', message: /INVALID_INPUT/ },
  { name: 'a tag typo', args: () => ['tag', 'show', 'data_prompt_runing'], exit: EXIT.NOT_FOUND, code: 'NOT_FOUND', message: /did you mean "data_prompt_running"\?$/, suggestions: ['data_prompt_running'] },
  { name: 'a bucket typo', args: () => ['bucket', 'show', 'e12_bucket11'], token: () => manager, exit: EXIT.NOT_FOUND, code: 'NOT_FOUND', message: /did you mean "e12_bucket1"\?$/, suggestions: ['e12_bucket1'] },
  { name: 'a calibration typo', args: () => ['request', 'submit', 'ecl_enrgy', '--bucket', 'e12_bucket1', '--reason', 'r'], token: () => expert, exit: EXIT.NOT_FOUND, code: 'NOT_FOUND', message: /did you mean "ecl_energy"\?$/, suggestions: ['ecl_energy'] },
  { name: 'no token', args: () => ['bucket', 'list'], exit: EXIT.FORBIDDEN, code: 'UNAUTHENTICATED', message: /bearer token/ },
  { name: 'a role that may not', args: () => ['tag', 'create', 'ecl_private', '--type', 'staging'], token: () => expert, exit: EXIT.FORBIDDEN, code: 'FORBIDDEN', message: /role detector_expert/ },
  { name: 'a name that exists', args: () => ['tag', 'create', 'data_prompt_running', '--type', 'running'], token: () => manager, exit: EXIT.CONFLICT, code: 'CONFLICT', message: /CONFLICT/ },
  { name: 'a transition the state does not allow', args: () => ['tag', 'state', 'data_prompt_running', 'OPEN', '--reason', 'x'], token: () => manager, exit: EXIT.CONFLICT, code: 'ILLEGAL_TRANSITION', message: /RUNNING/ },
];

for (const c of cases) {
  test(`when the CLI is given ${c.name} with --json, then it prints the JSON error and exits ${c.exit}`, async () => {
    const env: Record<string, string> = c.token ? { CALIBLOOP_TOKEN: c.token() } : {};
    const { code, error } = await jsonError(c.args(), env);
    assert.equal(error.code, c.code, error.message);
    assert.match(error.message, c.message);
    assert.equal(code, c.exit, error.message);
    // the CLI prints the server's suggestions (details.suggestions of the 404), it does not look for names itself
    if (c.suggestions) assert.deepEqual(error.details, { suggestions: c.suggestions });
  });
}

test('when a local database to import has a malformed line and missing payload files, then every problem is named with its database.txt line and nothing is imported', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'calibloop-localdb-'));
  try {
    writeFileSync(join(dir, 'database.txt'), ['dbstore/ECLCrystalEnergy 1 12,0,12,-1', 'this is not a line', 'dbstore/CDCTime 2 12,0,-1,-1', ''].join('\n'));
    const { code, error } = await jsonError(['import', 'localdb', dir, '--tag', 'imported', '--create', 'staging'], { CALIBLOOP_TOKEN: manager });
    assert.equal(code, EXIT.USAGE);
    assert.equal(error.code, 'INVALID_INPUT');
    assert.match(error.message, /3 problems; nothing imported/);
    const details = error.details as Array<{ path: string; message: string }>;
    assert.deepEqual(details.map((d) => d.path.replace(dir, '<dir>')), ['<dir>/database.txt:1', '<dir>/database.txt:2', '<dir>/database.txt:3']);
    assert.match(details[0].message, /dbstore_ECLCrystalEnergy_rev_1\.root is missing/);
    assert.match(details[1].message, /malformed line/);
    assert.match(details[2].message, /dbstore_CDCTime_rev_2\.root is missing/);
    assert.equal(await app.deps.prisma.globalTag.count({ where: { name: 'imported' } }), 0);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('when the server cannot be reached, then UNREACHABLE and exit 6', async () => {
  const port = await new Promise<number>((resolve) => {
    const s = createServer().listen(0, '127.0.0.1', () => {
      const p = (s.address() as { port: number }).port;
      s.close(() => resolve(p));
    });
  });
  const { code, error } = await jsonError(['tag', 'list'], { CALIBLOOP_URL: `http://127.0.0.1:${port}` });
  assert.equal(error.code, 'UNREACHABLE');
  assert.equal(code, EXIT.SERVER);
});

test('when --json is not given, then the same failure goes to stderr as text with the same exit code and stdout stays empty', async () => {
  const r = await cli(['tag', 'show', 'data_prompt_runing']);
  assert.equal(r.code, EXIT.NOT_FOUND);
  assert.equal(r.stdout, '');
  assert.equal(r.stderr, 'error: NOT_FOUND: global tag data_prompt_runing not found; did you mean "data_prompt_running"?\n');
});

test('when --help is asked, then it lists the exit codes and exits 0', async () => {
  const r = await cli(['--help']);
  assert.equal(r.code, 0);
  assert.match(r.stdout, /Exit codes: 0 ok, 1 failed, 2 usage/);
});
