#!/usr/bin/env node
// @ts-check
/**
 * The local executor's wrapper: runs one job attempt, detached from the server (own session and process group), and
 * leaves its whole story in the attempt's work directory, so a server that was killed -9 and restarted recovers every
 * outcome from files alone:
 *
 *   .spec.json   written by the server at submit: command, env, log path, memory and time limits
 *   .launched    created by this wrapper, exclusively (O_EXCL), when it takes the job: {pid, procStart, at}. Only the
 *                process that creates it may start the program, so the marker exists only for a wrapper that is
 *                running (or ran); the server creates it itself only to cancel or fail a job no wrapper took
 *   .starts      one line appended per real start of the program (tests count these: exactly one per attempt)
 *   .pid         this wrapper's pid (the process group to signal)
 *   .exit        JSON {exitCode, signal, reason, detail, claimedAt, startedAt, finishedAt, peakRssMb, resources},
 *                written atomically at the end. `startedAt`/`finishedAt` are the program's own start (spawned) and end
 *                (reaped) as this wrapper saw them, `claimedAt` when it took the job; `resources` is what the attempt
 *                used: wall and CPU seconds, peak resident memory (MiB), bytes of the declared inputs and outputs
 *   .cancel      written by the server to cancel a job whose wrapper has not written .pid yet
 *
 * Pre-forked: the server starts wrappers ahead of need (Node's start-up is the slow part, 100-400 ms on a loaded
 * machine) and hands each one work directory as a line on its stdin. While idle a wrapper exits when its stdin ends
 * (the server died or closed its executor) or after `idleMs` without a job; once it has taken a job it no longer
 * reads stdin, so a server killed -9 does not stop it. Exit code 0 without `.launched` of its own means "took
 * nothing"; 3 means another process had already taken the job.
 *
 * It enforces the wall-clock limit (reason `timeout`) and samples the resident memory of the program's process tree
 * (reason `out_of_memory` above the limit), since a plain process has no cgroup to do it. The same samples give the
 * peak memory: the tree's summed VmRSS, or a process's own high-water mark (VmHWM) where that is larger, so a short
 * peak between two samples is not missed. CPU time is the kernel's account of the children this wrapper waited for
 * (cutime + cstime of /proc/self/stat, what getrusage(RUSAGE_CHILDREN) reports), so it is exact, not sampled.
 * Usage: node local-job-wrapper.mjs [idleMs]   (then one line on stdin: the work directory)
 */
import { spawn } from 'node:child_process';
import { appendFileSync, closeSync, existsSync, openSync, readFileSync, readdirSync, renameSync, statSync, writeFileSync, writeSync } from 'node:fs';
import { join } from 'node:path';

const idleMs = Number(process.argv[2] ?? 60_000);
/** the work directory, once taken */
let dir = '';
/** @type {any} */
let spec;

let pending = '';
process.stdin.setEncoding('utf8');
process.stdin.on('data', (chunk) => {
  if (dir) return;
  pending += chunk;
  const nl = pending.indexOf('\n');
  if (nl < 0) return;
  dir = pending.slice(0, nl);
  clearTimeout(idleTimer);
  process.stdin.destroy(); // from here on the server's fate is not ours
  take();
});
// the server is gone (or closed its executor) while we were idle: nothing to do
process.stdin.on('end', () => dir || process.exit(0));
process.stdin.on('error', () => dir || process.exit(0));
const idleTimer = setTimeout(() => dir || process.exit(0), idleMs);

/** This process's start time in clock ticks since boot (field 22 of /proc/<pid>/stat): tells a reused pid apart. */
function procStart() {
  try {
    const stat = readFileSync('/proc/self/stat', 'utf8');
    return Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[19]);
  } catch {
    return undefined;
  }
}

/** @param {string} name @param {string} text */
function writeAtomic(name, text) {
  const tmp = join(dir, `.${name}.${process.pid}.tmp`);
  writeFileSync(tmp, text);
  renameSync(tmp, join(dir, name));
}

/** when this wrapper took the job; the program's own start and end (spawned, reaped) */
let claimedAt = new Date();
/** @type {Date|undefined} */
let startedAt;
/** @type {Date|undefined} */
let endedAt;
let t0 = process.hrtime.bigint();
let endT = t0;
/** @type {string|null} */
let reason = null;
let detail = '';
let peakRssKb = 0;
let finished = false;
/** @type {import('node:child_process').ChildProcess} */
let child;

/** @param {{exitCode: number|null, signal: string|null}} r */
function finish(r) {
  if (finished) return;
  finished = true;
  const out = {
    exitCode: r.exitCode,
    signal: r.signal,
    reason: reason ?? 'exit',
    detail: detail || (r.signal ? `signal ${r.signal}` : `exit ${r.exitCode}`),
    claimedAt: claimedAt.toISOString(),
    startedAt: (startedAt ?? claimedAt).toISOString(),
    finishedAt: (endedAt ?? new Date()).toISOString(),
    peakRssMb: Math.round(peakRssKb / 1024),
    resources: {
      wallS: startedAt ? Math.round(Number((endedAt ? endT : process.hrtime.bigint()) - t0) / 1e6) / 1e3 : 0,
      cpuS: childrenCpuSeconds(),
      peakRssMb: Math.round((peakRssKb / 1024) * 10) / 10,
      // inputs are read-only: measured at the end, so nothing delays the start
      inputBytes: bytesOf(spec.inputs),
      outputBytes: bytesOf(spec.outputs),
    },
  };
  writeAtomic('.exit', JSON.stringify(out) + '\n');
  process.exit(0);
}

/** Bytes of the given files (directories: of the files inside); what does not exist counts 0. */
function bytesOf(/** @type {string[] | undefined} */ paths) {
  let total = 0;
  for (const p of paths ?? []) {
    try {
      const st = statSync(p);
      if (st.isFile()) total += st.size;
      else if (st.isDirectory()) {
        for (const f of readdirSync(p, { recursive: true, withFileTypes: true })) {
          if (f.isFile()) total += statSync(join(f.parentPath ?? f.path, f.name)).size;
        }
      }
    } catch {
      // missing output: output verification reports it
    }
  }
  return total;
}

/** CPU seconds of the reaped children (user + system), from /proc/self/stat in USER_HZ (100 on Linux). */
function childrenCpuSeconds() {
  try {
    const stat = readFileSync('/proc/self/stat', 'utf8');
    // fields after the command name (which may hold spaces): state is field 3, cutime 16, cstime 17
    const f = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    return (Number(f[13]) + Number(f[14])) / 100;
  } catch {
    return undefined;
  }
}

/** @param {NodeJS.Signals} sig */
function signalChild(sig) {
  try {
    child.kill(sig);
  } catch {
    // already gone
  }
}

/** @param {string} why @param {string} text */
function stop(why, text) {
  if (reason) return;
  reason = why;
  detail = text;
  signalChild('SIGTERM');
  setTimeout(() => signalChild('SIGKILL'), 5000).unref();
}

/** @param {number} pid @returns {number[]} */
function descendants(pid) {
  const out = [pid];
  for (let i = 0; i < out.length; i++) {
    try {
      for (const tid of readdirSync(`/proc/${out[i]}/task`)) {
        const kids = readFileSync(`/proc/${out[i]}/task/${tid}/children`, 'utf8').trim();
        if (kids) out.push(...kids.split(/\s+/).map(Number));
      }
    } catch {
      // process ended while we looked
    }
  }
  return out;
}

/** Resident memory now and its high-water mark, in KiB. @param {number} pid */
function memoryKb(pid) {
  try {
    const status = readFileSync(`/proc/${pid}/status`, 'utf8');
    const rss = /VmRSS:\s+(\d+)/.exec(status);
    const hwm = /VmHWM:\s+(\d+)/.exec(status);
    return { rss: rss ? Number(rss[1]) : 0, hwm: hwm ? Number(hwm[1]) : 0 };
  } catch {
    return { rss: 0, hwm: 0 };
  }
}

/**
 * Takes the job in `dir`: claim it (O_EXCL on `.launched`; whoever creates the file is the only one that may start the
 * program), then record the pid, honour a cancel, and start the program.
 */
function take() {
  let fd;
  try {
    fd = openSync(join(dir, '.launched'), 'wx');
  } catch (e) {
    // another wrapper (a second server instance, or the restarted server after a kill) or the server's cancel took it
    if (/** @type {NodeJS.ErrnoException} */ (e).code === 'EEXIST') process.exit(3);
    throw e;
  }
  claimedAt = new Date();
  writeSync(fd, JSON.stringify({ pid: process.pid, procStart: procStart(), at: claimedAt.toISOString() }) + '\n');
  closeSync(fd);
  spec = JSON.parse(readFileSync(join(dir, '.spec.json'), 'utf8'));
  // the server signals the group named in .pid to cancel: from here on that is a cancel, not a kill
  process.on('SIGTERM', () => stop('cancelled', 'cancelled'));
  process.on('SIGINT', () => stop('cancelled', 'cancelled'));
  writeAtomic('.pid', `${process.pid}\n`);
  // a cancel written before .pid existed found no process to signal: it is seen here
  if (reason || existsSync(join(dir, '.cancel'))) {
    reason = 'cancelled';
    detail = 'cancelled before start';
    finish({ exitCode: null, signal: null });
    return;
  }
  appendFileSync(join(dir, '.starts'), `${new Date().toISOString()} ${process.pid}\n`);

  const log = openSync(spec.logPath, 'a');
  t0 = process.hrtime.bigint();
  startedAt = new Date();
  child = spawn(spec.command[0], spec.command.slice(1), {
    cwd: dir,
    env: { ...process.env, ...(spec.env ?? {}) },
    stdio: ['ignore', log, log],
  });
  closeSync(log);
  child.on('error', (e) => {
    detail = `cannot start ${spec.command[0]}: ${e.message}`;
    finish({ exitCode: 127, signal: null });
  });
  child.on('exit', (code, signal) => {
    endT = process.hrtime.bigint();
    endedAt = new Date();
    // The server's cancel signals our whole group, so the child's exit may be seen before our own SIGTERM handler
    // runs; the .cancel it wrote before signalling settles which it was.
    if (!reason && existsSync(join(dir, '.cancel'))) stop('cancelled', 'cancelled');
    finish({ exitCode: code, signal });
  });

  if (spec.timeLimitS > 0) {
    setTimeout(() => stop('timeout', `wall-clock limit of ${spec.timeLimitS} s reached`), spec.timeLimitS * 1000).unref();
  }
  if (existsSync('/proc/self/status')) sampleMemory();
}

/** Samples the program tree's memory: the peak, and the limit. */
function sampleMemory() {
  const limitKb = spec.memoryMb > 0 ? spec.memoryMb * 1024 : Infinity;
  const sample = () => {
    if (!child.pid || finished) return;
    const procs = descendants(child.pid).map(memoryKb);
    const kb = procs.reduce((s, m) => s + m.rss, 0);
    peakRssKb = Math.max(peakRssKb, kb, ...procs.map((m) => m.hwm));
    if (kb > limitKb && !reason) {
      reason = 'out_of_memory';
      detail = `resident memory ${Math.round(kb / 1024)} MiB over the limit of ${spec.memoryMb} MiB`;
      signalChild('SIGKILL');
    }
  };
  // densely at first (short jobs), then every 200 ms
  const early = setInterval(sample, 50);
  setTimeout(() => clearInterval(early), 400).unref();
  early.unref();
  setInterval(sample, 200).unref();
  sample();
}
