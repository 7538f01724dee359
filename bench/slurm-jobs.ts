/**
 * `npm run bench -- slurm [--jobs 5000] [--batch 5000] [--command true|stress] [--mem-mb 32] [--keep]`
 *
 * Short jobs through the Slurm executor on the Slurm of this machine (`.ci/slurm-up.sh`): submitted in batches of
 * `--batch` (each batch = one `executor.submit` = one sbatch job array), then polled through `executor.poll` once a
 * second until all have finished. Writes bench/results/slurm.json.
 *
 * submit_to_running_jobs_per_s = jobs / (last job's RUNNING time − start of the first submit call). The RUNNING time
 * of a job is slurmctld's StartTime (the moment it went RUNNING; whole seconds), read back through poll: a `true` job
 * is RUNNING for a few milliseconds, far too briefly for a 1 s poll to see, so the observer-side number is given
 * separately as submit_to_completed_jobs_per_s (the poll that first saw each job finished).
 */
import { execFileSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { cpus, loadavg, tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { ExecutorStatus, JobSpec } from '../src/executors/executor.ts';
import { SlurmExecutor } from '../src/executors/slurm-executor.ts';
import { writeResult } from './support/write-result.ts';

const HERE = dirname(fileURLToPath(import.meta.url));
const TERMINAL = new Set(['succeeded', 'failed', 'cancelled', 'lost']);

function flag(args: string[], name: string, def: string): string {
  const i = args.indexOf(name);
  return i >= 0 && args[i + 1] !== undefined ? args[i + 1]! : def;
}

function sh(cmd: string, args: string[]): string {
  try {
    return execFileSync(cmd, args, { encoding: 'utf8' }).trim();
  } catch {
    return '';
  }
}

function percentile(xs: number[], p: number): number {
  const s = [...xs].sort((a, b) => a - b);
  return s.length ? s[Math.min(s.length - 1, Math.floor((p / 100) * s.length))]! : NaN;
}

export async function main(args: string[]): Promise<void> {
  const jobs = Number(flag(args, '--jobs', '5000'));
  const batch = Number(flag(args, '--batch', String(jobs)));
  const kind = flag(args, '--command', 'true');
  const memoryMb = Number(flag(args, '--mem-mb', '32'));
  const keep = args.includes('--keep');
  const command =
    kind === 'stress' ? [process.execPath, resolve(HERE, '../toolkit/b2sim.mjs'), 'stress', '--sleep-s', '0'] : ['/bin/true'];

  const base = mkdtempSync(join(process.env.CALIBLOOP_BENCH_DIR ?? tmpdir(), 'calibloop-bench-slurm-'));
  const ex = new SlurmExecutor({ stateDir: join(base, 'state') });
  const specs: JobSpec[] = [];
  for (let i = 0; i < jobs; i++) {
    const workDir = join(base, 'jobs', String(i));
    mkdirSync(workDir, { recursive: true });
    specs.push({ key: `bench-${i}`, command, workDir, logPath: join(workDir, 'job.log'), memoryMb, timeLimitS: 300 });
  }
  console.error(`slurm bench: ${jobs} × ${command.join(' ')} in batches of ${batch}, work in ${base}`);

  const loadBefore = loadavg()[0]!;
  const t0 = Date.now();
  const ids: string[] = [];
  const submitMs: number[] = [];
  for (let i = 0; i < specs.length; i += batch) {
    const s = Date.now();
    ids.push(...(await ex.submit(specs.slice(i, i + batch))));
    submitMs.push(Date.now() - s);
  }
  const tSubmitted = Date.now();
  const arrays = new Set(ids.map((id) => id.split('_')[0]));

  const seenDone = new Map<string, number>();
  const final = new Map<string, ExecutorStatus>();
  const pollMs: number[] = [];
  let lastReport = 0;
  const deadline = t0 + Math.max(600_000, jobs * 1000);
  while (seenDone.size < ids.length) {
    if (Date.now() > deadline) throw new Error(`bench: only ${seenDone.size}/${ids.length} jobs finished before the deadline`);
    const open = ids.filter((id) => !seenDone.has(id));
    const p0 = Date.now();
    const st = await ex.poll(open);
    pollMs.push(Date.now() - p0);
    const now = Date.now();
    for (const [id, s] of st) {
      if (TERMINAL.has(s.state)) {
        seenDone.set(id, now);
        final.set(id, s);
      }
    }
    if (now - lastReport > 15_000) {
      lastReport = now;
      console.error(`  ${Math.round((now - t0) / 1000)} s: ${seenDone.size}/${ids.length} finished (poll of ${open.length} took ${Date.now() - p0} ms)`);
    }
    if (seenDone.size < ids.length) await new Promise((r) => setTimeout(r, 1000));
  }

  const states = new Map<string, number>();
  for (const s of final.values()) states.set(s.state, (states.get(s.state) ?? 0) + 1);
  const starts = [...final.values()].map((s) => s.startedAt?.getTime()).filter((x): x is number => x !== undefined);
  const lastStart = Math.max(...starts);
  const lastDone = Math.max(...seenDone.values());
  const latencies = starts.map((s) => Math.max(0, s - t0) / 1000);
  const version = sh('sinfo', ['--version']);
  const node = [...new Set(sh('sinfo', ['-h', '-N', '-o', '%N cpus=%c mem=%m']).split('\n'))].join('; ');
  const oversubscribe = /OverSubscribe=(\S+)/.exec(sh('scontrol', ['show', 'partition']))?.[1] ?? 'unknown';
  const round = (x: number, d = 1) => Math.round(x * 10 ** d) / 10 ** d;

  const result = {
    bench: 'slurm',
    date: new Date().toISOString(),
    slurm_version: version.replace(/^slurm(-wlm)?\s*/, ''),
    cluster: { node, partition_oversubscribe: oversubscribe },
    // the machine is shared: its load (other processes) bounds how fast slurmd can start jobs
    machine: { cpus: cpus().length, load_avg_1m_before: round(loadBefore, 2), load_avg_1m_after: round(loadavg()[0]!, 2) },
    jobs,
    command: command.map((w) => w.replace(resolve(HERE, '..'), '.')).join(' '),
    memory_mb: memoryMb,
    batch_size: batch,
    sbatch_arrays: arrays.size,
    submit_calls_ms: submitMs,
    submit_total_s: round((tSubmitted - t0) / 1000, 2),
    submit_to_running_jobs_per_s: round(jobs / Math.max(1, (lastStart - t0) / 1000)),
    running_measured_by: 'slurmctld StartTime of each job (1 s resolution) read back through executor.poll; span from the start of the first submit call to the last job going RUNNING',
    submit_to_running_latency_s: { p50: round(percentile(latencies, 50)), p95: round(percentile(latencies, 95)), max: round(Math.max(...latencies)) },
    submit_to_completed_jobs_per_s: round(jobs / ((lastDone - t0) / 1000)),
    completed_measured_by: 'the executor.poll (1 s apart) that first reported each job finished',
    states: Object.fromEntries(states),
    poll_ms: { count: pollMs.length, p50: percentile(pollMs, 50), max: Math.max(...pollMs), first_for_all_jobs: pollMs[0] },
  };
  const out = writeResult('slurm.json', result);
  console.log(JSON.stringify(result, null, 2));
  console.error(`wrote ${out}`);
  if (!keep) rmSync(base, { recursive: true, force: true });
  if ((states.get('succeeded') ?? 0) !== jobs) throw new Error(`bench: not every job succeeded: ${JSON.stringify(result.states)}`);
}
