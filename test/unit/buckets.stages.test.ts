import { test } from 'node:test';
import assert from 'node:assert/strict';
import { bucketLifecycle, WORKING_STAGES, bucketName, BUCKET_NAME_RE } from '../../src/domain/bucket-stages.ts';

test('when the table is read, then the whole lifecycle from open to done is reachable in order', () => {
  const path = ['open', 'closed', 'producing', 'produced', 'calibrating', 'awaiting_approval', 'updating', 'snapshotted', 'prompt_processing', 'fix_window', 'awaiting_blessing', 'blessed', 'reprocessing', 'done'] as const;
  for (let i = 0; i + 1 < path.length; i++) assert.ok(bucketLifecycle.transitions[path[i]].includes(path[i + 1]), `${path[i]} → ${path[i + 1]}`);
  assert.deepEqual(bucketLifecycle.transitions.done, []);
});

test('when a working stage fails, then failed is reachable and leads back only to working stages', () => {
  for (const s of WORKING_STAGES) assert.ok(bucketLifecycle.transitions[s].includes('failed'), s);
  assert.deepEqual([...bucketLifecycle.transitions.failed].sort(), [...WORKING_STAGES].sort());
  for (const s of bucketLifecycle.list.filter((x) => !WORKING_STAGES.includes(x))) assert.ok(!bucketLifecycle.transitions[s].includes('failed'), s);
});

test('when a move is not in the table, then it throws ILLEGAL_TRANSITION naming what is allowed', () => {
  assert.throws(() => bucketLifecycle.assert('open', 'producing', 'e12_bucket1'), (e: any) => e.code === 'ILLEGAL_TRANSITION' && /open may go to closed/.test(e.message));
  assert.throws(() => bucketLifecycle.assert('nonsense', 'closed'), { code: 'ILLEGAL_TRANSITION' });
  bucketLifecycle.assert('closed', 'producing');
});

test('when a bucket is named, then it reads e<exp>_bucket<seq>', () => {
  assert.equal(bucketName(12, 7), 'e12_bucket7');
  assert.ok(BUCKET_NAME_RE.test('e12_bucket7'));
});
