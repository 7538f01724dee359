// @ts-check
/**
 * `stress [--alloc-mb N] [--sleep-s S] [--exit-code C] [--output FILE]`: for executor tests. Allocates N MiB and
 * writes to every page (resident memory, so a cgroup limit kills the process), sleeps S seconds holding it, writes
 * FILE if asked, then exits with C.
 */
import { resolve } from 'node:path';
import { Flags } from '../lib/args.mjs';
import { UsageError } from '../lib/errors.mjs';
import { writeAtomic } from '../lib/fileio.mjs';

const CHUNK_MB = 64;

/** @param {string[]} argv */
export async function run(argv) {
  const f = new Flags('stress', argv, { 'alloc-mb': 'string', 'sleep-s': 'string', 'exit-code': 'string', output: 'string' });
  const allocMb = f.int('alloc-mb', 0);
  const sleepS = f.float('sleep-s', 0);
  const exitCode = f.int('exit-code', 0);
  const output = f.optString('output');
  if (allocMb < 0 || sleepS < 0 || exitCode < 0 || exitCode > 255) throw new UsageError('stress: values out of range');
  const t0 = Date.now();
  const held = [];
  for (let left = allocMb; left > 0; left -= CHUNK_MB) {
    const buf = Buffer.allocUnsafe(Math.min(CHUNK_MB, left) * 1024 * 1024);
    for (let i = 0; i < buf.length; i += 4096) buf[i] = 1; // touch every page
    held.push(buf);
  }
  const rssMb = Math.round(process.memoryUsage().rss / (1024 * 1024));
  if (sleepS > 0) await new Promise((r) => setTimeout(r, sleepS * 1000));
  /** @type {{ path: string, size: number }[]} */
  let outputs = [];
  if (output) {
    const path = resolve(output);
    const size = writeAtomic(path, `${JSON.stringify({ allocMb, sleepS, exitCode, pid: process.pid })}\n`);
    outputs = [{ path, size }];
  }
  held.length = 0;
  return { summary: { allocMb, rssMb, sleepS, exitCode, elapsedMs: Date.now() - t0, outputs }, exitCode };
}
