/**
 * `npm start` as a newcomer runs it: `node bin/calibloop.js demo` in a fresh home on a free port. Interrupted half
 * way, a restart carries on without repeating work and reaches `demo complete:`; a third start says the demo already
 * completed. (On PostgreSQL when DATABASE_URL is set, in a database of its own.)
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ROOT_DIR } from '../../src/db/paths.ts';
import { createTestDatabase } from '../helpers/db.ts';

async function freePort(): Promise<number> {
  return new Promise((resolve) => {
    const s = createServer();
    s.listen(0, '127.0.0.1', () => {
      const port = (s.address() as { port: number }).port;
      s.close(() => resolve(port));
    });
  });
}

interface Run {
  code: number | null;
  out: string;
}

/** Runs the demo; `stopWhen` sends SIGINT once the output matches (a user pressing Ctrl-C). */
function demo(home: string, env: Record<string, string>, args: string[], stopWhen?: RegExp): Promise<Run> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [join(ROOT_DIR, 'bin', 'calibloop.js'), 'demo', '--home', home, ...args], {
      cwd: ROOT_DIR,
      env,
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let out = '';
    let signalled = false;
    const onData = (c: Buffer) => {
      out += c.toString();
      if (stopWhen && !signalled && stopWhen.test(out)) {
        signalled = true;
        child.kill('SIGINT');
      }
    };
    child.stdout.on('data', onData);
    child.stderr.on('data', onData);
    child.on('error', reject);
    child.on('exit', (code) => resolve({ code, out }));
  });
}

test('when npm start runs the demo, is interrupted and started again, then it carries on to `demo complete:` without repeating work, and a third start says it already completed', { timeout: 25 * 60_000 }, async () => {
  const home = mkdtempSync(join(tmpdir(), 'calibloop-demo-'));
  const db = process.env.DATABASE_URL ? await createTestDatabase() : undefined;
  const env: Record<string, string> = { PATH: process.env.PATH ?? '', HOME: process.env.HOME ?? home, PORT: String(await freePort()) };
  if (db?.url) env.DATABASE_URL = db.url;
  if (process.env.CALIBLOOP_EXECUTOR) env.CALIBLOOP_EXECUTOR = process.env.CALIBLOOP_EXECUTOR;
  try {
    const first = await demo(home, env, [], /e12_bucket1 \(runs 12\/1-4\): produced → calibrating/);
    assert.match(first.out, /API\s+http:\/\/localhost:\d+\/api\/v1/);
    assert.match(first.out, /openapi\.json/);
    assert.match(first.out, /dashboard\s+http:\/\/localhost:\d+\/\s/, 'the banner names the dashboard');
    assert.match(first.out, /export CALIBLOOP_TOKEN=clb_/);
    assert.doesNotMatch(first.out, /^demo complete:/m);

    const second = await demo(home, env, ['--exit-when-complete', '--timeout-min', '20']);
    assert.equal(second.code, 0, second.out.slice(-3000));
    assert.match(second.out, /carrying on with the demo/);
    const complete = second.out.split('\n').filter((l) => l.startsWith('demo complete:'));
    assert.equal(complete.length, 1, second.out.slice(-3000));
    assert.match(complete[0], /^demo complete: 2 buckets blessed .*2 reprocessing campaigns finished, 8 runs, \d+ jobs/);
    const daqLines = (first.out + second.out).match(/DAQ: run 12\/\d+ taken/g) ?? [];
    assert.equal(daqLines.length, 8, 'every run taken once over both starts');
    assert.equal((second.out.match(/blessed data_reprocessing_prompt_e12_bucket1/g) ?? []).length + (first.out.match(/blessed data_reprocessing_prompt_e12_bucket1/g) ?? []).length, 1);

    const third = await demo(home, env, ['--exit-when-complete']);
    assert.equal(third.code, 0, third.out.slice(-2000));
    assert.match(third.out, /already completed/);
    assert.match(third.out, /^demo complete: .*\(completed earlier\)$/m);
    assert.doesNotMatch(third.out, /DAQ: run/);
  } finally {
    rmSync(home, { recursive: true, force: true });
    await db?.close();
  }
});

test('when the port is busy, then the demo says so clearly and exits without touching its home', { timeout: 60_000 }, async () => {
  const home = mkdtempSync(join(tmpdir(), 'calibloop-demo-busy-'));
  const blocker = createServer();
  await new Promise<void>((r) => blocker.listen(0, '0.0.0.0', () => r()));
  const port = (blocker.address() as { port: number }).port;
  try {
    const r = await demo(home, { PATH: process.env.PATH ?? '', PORT: String(port) }, ['--exit-when-complete']);
    assert.equal(r.code, 2);
    assert.match(r.out, new RegExp(`port ${port} is busy`));
  } finally {
    blocker.close();
    rmSync(home, { recursive: true, force: true });
  }
});
