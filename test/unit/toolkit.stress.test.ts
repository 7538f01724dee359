import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, describe, test } from 'node:test';
import { b2sim, makeTempDir } from './toolkit.helpers.ts';

describe('toolkit stress', () => {
  const tmp = makeTempDir();
  after(() => tmp.cleanup());

  test('when asked to allocate, sleep, write and exit with a code, then it does all four', async () => {
    const out = join(tmp.dir, 'out', 'stress.json');
    const r = await b2sim(['stress', '--alloc-mb', 96, '--sleep-s', 0.2, '--exit-code', 7, '--output', out]);
    assert.equal(r.code, 7);
    assert.equal(r.summary.exitCode, 7);
    assert.ok(r.summary.rssMb >= 96, `resident ${r.summary.rssMb} MiB: the pages were touched`);
    assert.ok(r.summary.elapsedMs >= 200);
    assert.equal(JSON.parse(readFileSync(out, 'utf8')).allocMb, 96);
  });

  test('when given nothing, then it exits 0 at once and writes no output', async () => {
    const r = await b2sim(['stress']);
    assert.equal(r.code, 0);
    assert.deepEqual(r.summary.outputs, []);
  });
});
