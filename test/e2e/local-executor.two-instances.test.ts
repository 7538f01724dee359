/**
 * Two local executors on one machine and one work tree, as two server instances on one PostgreSQL have: each polls
 * whichever jobs its job tick picks, so it also sees (and counts in its slots) wrappers the other one started.
 */
import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { LocalExecutor } from '../../src/executors/local-executor.ts';
import type { JobSpec } from '../../src/executors/executor.ts';
import { startsIn, TOOLKIT, waitFor } from '../helpers/production-support.ts';

const root = mkdtempSync(join(tmpdir(), 'local-exec-two-'));
after(() => rmSync(root, { recursive: true, force: true }));
let n = 0;

function spec(args: string[]): JobSpec {
  const dir = join(root, `job${++n}`);
  return { key: `two/${n}#a1`, command: [process.execPath, TOOLKIT, 'stress', ...args], workDir: dir, memoryMb: 2048, timeLimitS: 60, logPath: join(dir, 'job.log') };
}

test('when an instance saw the other instance\'s job running and that job ends while only the other polls it, then its slot is free again for its own next job', async () => {
  const a = new LocalExecutor({ concurrency: 1 });
  const b = new LocalExecutor({ concurrency: 1 });
  const [first] = await a.submit([spec(['--sleep-s', '0.5'])]);
  // b polls it once its wrapper is up (its pid written): b adopts it into a slot of its own
  await waitFor('the first job\'s wrapper to run', () => existsSync(join(first, '.pid')));
  assert.equal((await b.poll([first])).get(first)!.state, 'running');
  // b now counts the running wrapper in its one slot; the job ends and a (not b) records it
  await waitFor('a to see it succeed', async () => (await a.poll([first])).get(first)!.state === 'succeeded');
  const [second] = await b.submit([spec(['--sleep-s', '0.1'])]);
  const s = await waitFor('b\'s own job to end', async () => {
    const st = (await b.poll([second])).get(second)!;
    return ['succeeded', 'failed', 'lost'].includes(st.state) ? st : undefined;
  }, { timeoutMs: 10_000 });
  assert.equal(s.state, 'succeeded');
  assert.equal(startsIn(first), 1);
  assert.equal(startsIn(second), 1);
});
