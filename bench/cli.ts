/**
 * CLI start-up benchmark: `npm run bench -- cli [--repeat N]` → bench/results/cli.json.
 *
 * Times, as child processes (wall clock and user+system CPU from /usr/bin/time when present):
 * - `node_floor`: `node -e 0`, what any Node program costs on this machine at this moment (the peer to read the
 *   others against: the machine is shared, so the ratios matter more than the seconds);
 * - `help`: `calibloop --help` from the compiled dist/ (target ≤ 0.3 s on an idle machine);
 * - `tag_list`: `calibloop tag list` against a running local server (target ≤ 0.5 s);
 * - `help_from_sources` / `tag_list_from_sources`: the same through tsx (CALIBLOOP_FROM_SOURCES=1), the way every
 *   command ran before the build: the ceiling the build removes.
 * Medians of N runs (default 7), interleaved so load changes hit every variant alike.
 *
 * And, in this process, what bin/calibloop.js pays on every call to decide whether dist/ is fresh: `stamp` (one stat
 * per source file listed in dist/.build-stamp, scripts/build-stamp.mjs) against `walk_src`, the directory walk of
 * src/ it replaced (readdir of every directory, stat of every file), as its peer.
 */
import { spawn, spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readdirSync, rmSync, statSync } from 'node:fs';
import { createServer } from 'node:net';
import { cpus, loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { ROOT_DIR } from '../src/db/paths.ts';
import { stampIsFresh } from '../scripts/build-stamp.mjs';
import { writeResult } from './support/write-result.ts';

const BIN = join(ROOT_DIR, 'bin', 'calibloop.js');
const TIME = existsSync('/usr/bin/time') ? '/usr/bin/time' : undefined;

interface Sample {
  wall: number;
  cpu: number | null;
}

function runOnce(args: string[], env: NodeJS.ProcessEnv): Sample {
  const started = process.hrtime.bigint();
  const r = TIME
    ? spawnSync(TIME, ['-f', '__CPU__ %U %S', process.execPath, ...args], { env, encoding: 'utf8' })
    : spawnSync(process.execPath, args, { env, encoding: 'utf8' });
  const wall = Number(process.hrtime.bigint() - started) / 1e9;
  if (r.status !== 0) throw new Error(`${args.join(' ')} exited ${r.status}: ${r.stderr}`);
  const m = /__CPU__ ([\d.]+) ([\d.]+)/.exec(r.stderr ?? '');
  return { wall, cpu: m ? Number(m[1]) + Number(m[2]) : null };
}

const median = (xs: number[]) => {
  const s = [...xs].sort((a, b) => a - b);
  return s.length ? Math.round(1000 * s[Math.floor(s.length / 2)]) / 1000 : null;
};

async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const s = createServer();
    s.once('error', reject);
    s.listen(0, '127.0.0.1', () => {
      const port = (s.address() as { port: number }).port;
      s.close(() => resolve(port));
    });
  });
}

async function waitReady(url: string, timeoutMs: number): Promise<void> {
  const until = Date.now() + timeoutMs;
  while (Date.now() < until) {
    try {
      const r = await fetch(`${url}/readyz`);
      if (r.ok) return;
    } catch {
      // not listening yet
    }
    await new Promise((r) => setTimeout(r, 200));
  }
  throw new Error(`server at ${url} not ready after ${timeoutMs} ms`);
}

/** The check bin/calibloop.js made before the stamp: the newest mtime of any source file, found by walking src/. */
function newestSourceByWalk(dir: string): number {
  let newest = 0;
  for (const e of readdirSync(dir, { withFileTypes: true })) {
    const p = join(dir, e.name);
    if (e.isDirectory()) newest = Math.max(newest, newestSourceByWalk(p));
    else if (e.name.endsWith('.ts') || e.name.endsWith('.mjs')) newest = Math.max(newest, statSync(p).mtimeMs);
  }
  return newest;
}

/** Median milliseconds of each freshness check, interleaved, after one warm-up call each. */
function freshnessChecks(n: number) {
  const stamp = join(ROOT_DIR, 'dist', '.build-stamp');
  const checks: Record<string, () => unknown> = {
    stamp: () => stampIsFresh(ROOT_DIR, stamp),
    walk_src: () => statSync(stamp).mtimeMs >= newestSourceByWalk(join(ROOT_DIR, 'src')),
  };
  const ms: Record<string, number[]> = { stamp: [], walk_src: [] };
  for (const f of Object.values(checks)) f();
  for (let i = 0; i < n; i++) {
    for (const [k, f] of Object.entries(checks)) {
      const t = process.hrtime.bigint();
      f();
      ms[k].push(Number(process.hrtime.bigint() - t) / 1e6);
    }
  }
  const med = (xs: number[]) => Math.round(1000 * [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]) / 1000;
  const out = { stamp: med(ms.stamp), walk_src: med(ms.walk_src), fresh: stampIsFresh(ROOT_DIR, stamp) };
  return { ...out, walk_over_stamp: out.stamp > 0 ? Math.round((100 * out.walk_src) / out.stamp) / 100 : null };
}

export async function main(args: string[]): Promise<void> {
  const repeat = Number(args[args.indexOf('--repeat') + 1]) || 7;
  if (!stampIsFresh(ROOT_DIR, join(ROOT_DIR, 'dist', '.build-stamp'))) throw new Error('dist/ is not built from the current sources: npm run build');
  const home = mkdtempSync(join(tmpdir(), 'calibloop-bench-cli-'));
  const port = await freePort();
  const url = `http://127.0.0.1:${port}`;
  const base = { ...process.env, CALIBLOOP_HOME: home, CALIBLOOP_URL: url, CALIBLOOP_FROM_SOURCES: '0' };
  const server = spawn(process.execPath, [BIN, 'serve'], { env: { ...base, PORT: String(port), HOST: '127.0.0.1', LOG_LEVEL: 'warn', CALIBLOOP_SCHEDULER: 'off' }, stdio: 'ignore' });
  const loadStart = loadavg();
  try {
    await waitReady(url, 300_000); // a fresh embedded database on a loaded machine can take minutes
    const variants: Record<string, { args: string[]; env: NodeJS.ProcessEnv }> = {
      node_floor: { args: ['-e', '0'], env: base },
      help: { args: [BIN, '--help'], env: base },
      tag_list: { args: [BIN, 'tag', 'list'], env: base },
      help_from_sources: { args: [BIN, '--help'], env: { ...base, CALIBLOOP_FROM_SOURCES: '1' } },
      tag_list_from_sources: { args: [BIN, 'tag', 'list'], env: { ...base, CALIBLOOP_FROM_SOURCES: '1' } },
    };
    const samples: Record<string, Sample[]> = Object.fromEntries(Object.keys(variants).map((k) => [k, []]));
    for (const v of Object.values(variants)) runOnce(v.args, v.env); // warm the file cache
    for (let i = 0; i < repeat; i++) for (const [k, v] of Object.entries(variants)) samples[k].push(runOnce(v.args, v.env));
    const wall = Object.fromEntries(Object.entries(samples).map(([k, s]) => [k, median(s.map((x) => x.wall))]));
    const cpu = Object.fromEntries(Object.entries(samples).map(([k, s]) => [k, TIME ? median(s.map((x) => x.cpu ?? 0)) : null]));
    const ratio = (a: string, b: string) => (wall[a] && wall[b] ? Math.round((100 * wall[a]!) / wall[b]!) / 100 : null);
    const result = {
      benchmark: 'cli',
      date: new Date().toISOString(),
      command: 'npm run bench -- cli',
      machine: { cpus: cpus().length, model: cpus()[0]?.model, node: process.version, loadavg_at_start: loadStart.map((x) => Math.round(x * 10) / 10), loadavg_at_end: loadavg().map((x) => Math.round(x * 10) / 10) },
      repeat,
      wall_s: wall,
      cpu_s: cpu,
      help_over_node_floor: ratio('help', 'node_floor'),
      tag_list_over_node_floor: ratio('tag_list', 'node_floor'),
      speedup_help_vs_sources: ratio('help_from_sources', 'help'),
      speedup_tag_list_vs_sources: ratio('tag_list_from_sources', 'tag_list'),
      freshness_check_ms: freshnessChecks(Math.max(25, repeat * 5)),
      targets: { help_s: 0.3, tag_list_s: 0.5, note: 'on an idle machine; on a loaded one read the ratios to node_floor and the CPU seconds' },
    };
    writeResult('cli.json', result);
    console.log(JSON.stringify(result, null, 2));
  } finally {
    server.kill('SIGTERM');
    await new Promise((r) => server.once('exit', r));
    rmSync(home, { recursive: true, force: true });
  }
}
