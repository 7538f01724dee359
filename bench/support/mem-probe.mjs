/**
 * Memory probe preloaded into a benchmarked server (`node --expose-gc --import <this file> bin/calibloop.js serve`).
 * Bench code only: the product has no GC or heap-snapshot endpoint. On SIGUSR2 the probe reads the command file
 * `$CALIBLOOP_MEMPROBE_DIR/cmd` (one of `sample`, `gc`, `snapshot`) and answers in `$CALIBLOOP_MEMPROBE_DIR/out.json`
 * (written through a temp file and a rename, so the reader never sees half of it):
 * - `sample`: process.memoryUsage() now, without collecting; what the server holds including garbage not yet swept;
 * - `gc`: the same, then a full mark-compact (global.gc, from --expose-gc) twice, then memoryUsage() again, and once
 *   more 3 s later (`afterGcSettled`: V8 releases freed pages from a background task); the difference is garbage,
 *   what stays is what the server retains;
 * - `snapshot`: as `gc`, then v8.writeHeapSnapshot() into `$CALIBLOOP_MEMPROBE_SNAPSHOT_DIR` (default: the probe
 *   directory; the file name is in the answer).
 * - `profile-start` / `profile-stop`: V8's sampling heap profiler (node:inspector) over the interval, garbage included
 *   (objects a scavenge or a mark-compact collected are kept in the profile): `profile-stop` answers with the
 *   allocation sites that allocated most, by function and source line — who makes the churn that grows the heap.
 * Every answer carries a sequence number so the reader knows it is the answer to its own signal.
 */
import { readFileSync, renameSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import v8 from 'node:v8';
import { Session } from 'node:inspector';

const dir = process.env.CALIBLOOP_MEMPROBE_DIR;
const mb = (x) => Math.round((x / 1048576) * 10) / 10;
const usage = () => {
  const u = process.memoryUsage();
  const h = v8.getHeapStatistics();
  return { rss: mb(u.rss), heapTotal: mb(u.heapTotal), heapUsed: mb(u.heapUsed), external: mb(u.external), arrayBuffers: mb(u.arrayBuffers), mallocedMemory: mb(h.malloced_memory), peakMallocedMemory: mb(h.peak_malloced_memory) };
};

let session;
const post = (method, params) => new Promise((res, rej) => session.post(method, params, (e, r) => (e ? rej(e) : res(r))));

/** Allocation sites of a sampling heap profile, summed by function and line, the biggest first. */
function topSites(profile, n = 40) {
  const sites = new Map();
  const walk = (node, stack) => {
    const f = node.callFrame;
    const here = `${f.functionName || '(anonymous)'} ${f.url.replace(/^.*\/(node_modules|src|dist)\//, '$1/')}:${f.lineNumber + 1}`;
    const self = node.selfSize;
    if (self > 0) {
      // the nearest frame of the product (src/ or dist/) on the stack says which of our calls allocated it
      const ours = [here, ...stack].find((s) => / (src|dist)\//.test(s)) ?? '(no product frame)';
      const key = `${here}  <=  ${ours}`;
      sites.set(key, (sites.get(key) ?? 0) + self);
    }
    for (const c of node.children) walk(c, [here, ...stack].slice(0, 40));
  };
  walk(profile.head, []);
  const total = [...sites.values()].reduce((a, b) => a + b, 0);
  return { totalMb: mb(total), sites: [...sites].sort((a, b) => b[1] - a[1]).slice(0, n).map(([k, v]) => `${mb(v)} MB  ${k}`) };
}

if (dir) {
  process.on('SIGUSR2', async () => {
    let cmd = 'sample';
    let seq = 0;
    try {
      [cmd, seq] = readFileSync(join(dir, 'cmd'), 'utf8').trim().split(' ');
    } catch {
      /* no command file: a plain sample */
    }
    const out = { seq: Number(seq), cmd, before: usage(), gcExposed: typeof global.gc === 'function' };
    if ((cmd === 'gc' || cmd === 'snapshot') && global.gc) {
      global.gc();
      global.gc();
      out.afterGc = usage();
      // V8 hands freed pages back to the system from a background task: look again once it had the time
      await new Promise((r) => setTimeout(r, 3000));
      out.afterGcSettled = usage();
    }
    if (cmd === 'profile-start') {
      session ??= new Session();
      session.connect();
      await post('HeapProfiler.startSampling', { samplingInterval: 64 * 1024, includeObjectsCollectedByMajorGC: true, includeObjectsCollectedByMinorGC: true });
    }
    if (cmd === 'profile-stop' && session) {
      const { profile } = await post('HeapProfiler.stopSampling');
      session.disconnect();
      out.allocations = topSites(profile);
    }
    if (cmd === 'snapshot') out.snapshot = v8.writeHeapSnapshot(join(process.env.CALIBLOOP_MEMPROBE_SNAPSHOT_DIR ?? dir, `server-${Date.now()}.heapsnapshot`));
    writeFileSync(join(dir, 'out.json.tmp'), JSON.stringify(out));
    renameSync(join(dir, 'out.json.tmp'), join(dir, 'out.json'));
  });
}
