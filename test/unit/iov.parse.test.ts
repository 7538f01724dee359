import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { formatIov, iov, parseIov, parsePoint, iovFromKeys, startKey, endKey, MAX_RUN } from '../../src/domain/iov.ts';

describe('IoV text form', () => {
  it('when an IoV is formatted and parsed, then it round-trips', () => {
    for (const i of [iov(0, 0, -1, -1), iov(12, 345, 12, -1), iov(3, 0, 7, 12)]) assert.deepEqual(parseIov(formatIov(i)), i);
    assert.deepEqual(parseIov('1 2 3 4'), iov(1, 2, 3, 4));
  });
  it('when the text is not an IoV, then the message says how to write one', () => {
    assert.throws(() => parseIov('1,2,3'), /firstExp,firstRun,finalExp,finalRun/);
    assert.throws(() => parseIov('3,5,3,4'), /ends before it starts/);
  });
  it('when a run is parsed, then exp,run is read', () => {
    assert.deepEqual(parsePoint('12,345'), { exp: 12, run: 345 });
    assert.throws(() => parsePoint('12'), /exp,run/);
  });
  it('when keys are converted back, then the biggest run stays a run and end-of-exp stays -1', () => {
    const i = iov(5, MAX_RUN, 5, MAX_RUN);
    assert.deepEqual(iovFromKeys(startKey(i), endKey(i)), i);
    assert.deepEqual(iovFromKeys(startKey(iov(5, 0, 5, -1)), endKey(iov(5, 0, 5, -1))), iov(5, 0, 5, -1));
  });
});
