import { test } from 'node:test';
import assert from 'node:assert/strict';
import { BUCKET_STAGE_LIST, BUCKET_TRANSITIONS, WORKING_STAGES, assertBucketTransition, bucketName, BUCKET_NAME_RE } from '../../src/domain/bucket-stages.ts';

test('when the table is read, then the whole lifecycle from open to done is reachable in order', () => {
  const path = ['open', 'closed', 'producing', 'produced', 'calibrating', 'awaiting_approval', 'updating', 'snapshotted', 'prompt_processing', 'fix_window', 'awaiting_blessing', 'blessed', 'reprocessing', 'done'] as const;
  for (let i = 0; i + 1 < path.length; i++) assert.ok(BUCKET_TRANSITIONS[path[i]].includes(path[i + 1]), `${path[i]} → ${path[i + 1]}`);
  assert.deepEqual(BUCKET_TRANSITIONS.done, []);
});

test('when a working stage fails, then failed is reachable and leads back only to working stages', () => {
  for (const s of WORKING_STAGES) assert.ok(BUCKET_TRANSITIONS[s].includes('failed'), s);
  assert.deepEqual([...BUCKET_TRANSITIONS.failed].sort(), [...WORKING_STAGES].sort());
  for (const s of BUCKET_STAGE_LIST.filter((x) => !WORKING_STAGES.includes(x))) assert.ok(!BUCKET_TRANSITIONS[s].includes('failed'), s);
});

test('when a move is not in the table, then it throws ILLEGAL_TRANSITION naming what is allowed', () => {
  assert.throws(() => assertBucketTransition('open', 'producing', 'e12_bucket1'), (e: any) => e.code === 'ILLEGAL_TRANSITION' && /allowed: closed/.test(e.message));
  assert.throws(() => assertBucketTransition('nonsense', 'closed'), { code: 'ILLEGAL_TRANSITION' });
  assertBucketTransition('closed', 'producing');
});

test('when a bucket is named, then it reads e<exp>_bucket<seq>', () => {
  assert.equal(bucketName(12, 7), 'e12_bucket7');
  assert.ok(BUCKET_NAME_RE.test('e12_bucket7'));
});
