import { test } from 'node:test';
import assert from 'node:assert/strict';
import { parseSacct, parseSlurmDuration, parseSlurmSize, SACCT_FORMAT } from '../../src/executors/slurm-accounting.ts';

// `sacct --noheader --parsable2 --jobs 4711_0,4711_1,4711_2,4712_0 --format=JobID,State,ElapsedRaw,TotalCPU,MaxRSS,MaxDiskRead,MaxDiskWrite`
// in the shapes Slurm 21–24 prints: the allocation line has time but no memory or disk counters (those are per step);
// units K/M/G with decimals on disk counters; the extern step exists with zeros; a pending rest of an array is one
// `_[a-b]` line; a cancelled-before-start task has no steps.
const SACCT = [
  '4711_0|COMPLETED|46|00:45.455|||',
  '4711_0.batch|COMPLETED|46|00:45.452|539880K|2.36M|0.50M',
  '4711_0.extern|COMPLETED|47|00:00:00|0|0.00M|0',
  '4711_1|OUT_OF_MEMORY|7382|02:03:04|||',
  '4711_1.batch|OUT_OF_MEMORY|7382|02:03:04|2.00G|1.25G|123456',
  '4711_1.extern|COMPLETED|7383|00:00.001|1064K|0|0',
  '4711_2|TIMEOUT|93784|1-02:03:04|||',
  '4711_2.batch|CANCELLED|93784|1-02:03:03.500|1.5G|10.00M|2.00M',
  '4711_[3-9]|PENDING|0|00:00:00|||',
  '4712_0|CANCELLED by 1000|0|00:00:00|||',
  '',
].join('\n');

test('when sacct prints sizes and durations in its formats, then they are read in bytes and seconds', () => {
  assert.equal(parseSlurmSize('539880K'), 539880 * 1024);
  assert.equal(parseSlurmSize('2.36M'), Math.round(2.36 * 1024 ** 2));
  assert.equal(parseSlurmSize('1.5G'), 1.5 * 1024 ** 3);
  assert.equal(parseSlurmSize('123456'), 123456);
  assert.equal(parseSlurmSize('0'), 0);
  assert.equal(parseSlurmSize(''), undefined);
  assert.equal(parseSlurmSize('n/a'), undefined);
  assert.equal(parseSlurmDuration('00:45.455'), 45.455);
  assert.equal(parseSlurmDuration('02:03:04'), 2 * 3600 + 3 * 60 + 4);
  assert.equal(parseSlurmDuration('1-02:03:04'), 86400 + 2 * 3600 + 3 * 60 + 4);
  assert.equal(parseSlurmDuration('INVALID'), undefined);
  assert.equal(parseSlurmDuration(''), undefined);
});

test('when sacct answers for array tasks, then each task gets wall and CPU from its allocation and memory and bytes from its steps', () => {
  assert.match(SACCT_FORMAT, /^JobID,State,ElapsedRaw,TotalCPU,MaxRSS,MaxDiskRead,MaxDiskWrite$/);
  const r = parseSacct(SACCT);
  assert.deepEqual([...r.keys()].sort(), ['4711_0', '4711_1', '4711_2', '4712_0']);
  assert.deepEqual(r.get('4711_0'), { wallS: 46, cpuS: 45.455, peakRssMb: 527.2, inputBytes: Math.round(2.36 * 1024 ** 2), outputBytes: Math.round(0.5 * 1024 ** 2) });
  const oom = r.get('4711_1')!;
  assert.equal(oom.wallS, 7382);
  assert.equal(oom.cpuS, 7384);
  assert.equal(oom.peakRssMb, 2048); // the batch step, not the extern step's 1 MiB
  assert.equal(oom.inputBytes, 1.25 * 1024 ** 3);
  assert.equal(oom.outputBytes, 123456);
  assert.equal(r.get('4711_2')!.cpuS, 93784);
  assert.equal(r.get('4711_2')!.peakRssMb, 1536);
  // cancelled before it started: times are zero, memory and bytes unknown (not 0)
  assert.deepEqual(r.get('4712_0'), { wallS: 0, cpuS: 0 });
});
