#!/usr/bin/env node
// @ts-check
/**
 * The local executor's wrapper: runs one job attempt, detached from the server (own session and process group), and
 * leaves its whole story in the attempt's work directory, so a server that was killed -9 and restarted recovers every
 * outcome from files alone:
 *
 *   .spec.json   written by the server before launch: command, env, log path, memory and time limits
 *   .launched    written by the server just before spawning this wrapper
 *   .starts      one line appended per real start of the program (tests count these: exactly one per attempt)
 *   .pid         this wrapper's pid (the process group to signal)
 *   .exit        JSON {exitCode, signal, reason, detail, startedAt, finishedAt, peakRssMb, resources}, written atomically
 *                at the end; `resources` is what the attempt used: wall and CPU seconds, peak resident memory (MiB),
 *                bytes of the declared inputs and of the outputs it wrote
 *   .cancel      written by the server to cancel a job whose wrapper has not started yet
 *
 * It enforces the wall-clock limit (reason `timeout`) and samples the resident memory of the program's process tree
 * (reason `out_of_memory` above the limit), since a plain process has no cgroup to do it. The same samples give the
 * peak memory: the tree's summed VmRSS, or a process's own high-water mark (VmHWM) where that is larger, so a short
 * peak between two samples is not missed. CPU time is the kernel's account of the children this wrapper waited for
 * (cutime + cstime of /proc/self/stat, what getrusage(RUSAGE_CHILDREN) reports), so it is exact, not sampled.
 * Usage: node local-job-wrapper.mjs <workDir>
 */
import { spawn } from 'node:child_process';
import { appendFileSync, closeSync, existsSync, openSync, readFileSync, readdirSync, renameSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';

const dir = process.argv[2];
if (!dir) {
  process.stderr.write('usage: local-job-wrapper.mjs <workDir>\n');
  process.exit(2);
}
const spec = JSON.parse(readFileSync(join(dir, '.spec.json'), 'utf8'));

/** @param {string} name @param {string} text */
function writeAtomic(name, text) {
  const tmp = join(dir, `.${name}.${process.pid}.tmp`);
  writeFileSync(tmp, text);
  renameSync(tmp, join(dir, name));
}

const startedAt = new Date();
const t0 = process.hrtime.bigint();
/** @type {string|null} */
let reason = null;
let detail = '';
let peakRssKb = 0;
let finished = false;

/** @param {{exitCode: number|null, signal: string|null}} r */
function finish(r) {
  if (finished) return;
  finished = true;
  const out = {
    exitCode: r.exitCode,
    signal: r.signal,
    reason: reason ?? 'exit',
    detail: detail || (r.signal ? `signal ${r.signal}` : `exit ${r.exitCode}`),
    startedAt: startedAt.toISOString(),
    finishedAt: new Date().toISOString(),
    peakRssMb: Math.round(peakRssKb / 1024),
    resources: {
      wallS: Math.round(Number(process.hrtime.bigint() - t0) / 1e6) / 1e3,
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

if (existsSync(join(dir, '.cancel'))) {
  reason = 'cancelled';
  detail = 'cancelled before start';
  finish({ exitCode: null, signal: null });
}

writeAtomic('.pid', `${process.pid}\n`);
// a cancel written after the check above but before .pid existed found no process to signal: look once more
if (existsSync(join(dir, '.cancel'))) {
  reason = 'cancelled';
  detail = 'cancelled before start';
  finish({ exitCode: null, signal: null });
}
appendFileSync(join(dir, '.starts'), `${startedAt.toISOString()} ${process.pid}\n`);

const log = openSync(spec.logPath, 'a');
const child = spawn(spec.command[0], spec.command.slice(1), {
  cwd: dir,
  env: { ...process.env, ...(spec.env ?? {}) },
  stdio: ['ignore', log, log],
});
closeSync(log);

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

child.on('error', (e) => {
  detail = `cannot start ${spec.command[0]}: ${e.message}`;
  finish({ exitCode: 127, signal: null });
});
child.on('exit', (code, signal) => finish({ exitCode: code, signal }));

process.on('SIGTERM', () => stop('cancelled', 'cancelled'));
process.on('SIGINT', () => stop('cancelled', 'cancelled'));

if (spec.timeLimitS > 0) {
  setTimeout(() => stop('timeout', `wall-clock limit of ${spec.timeLimitS} s reached`), spec.timeLimitS * 1000).unref();
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

if (existsSync('/proc/self/status')) {
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
