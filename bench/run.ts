/**
 * Benchmarks (not timed tests): `npm run bench -- <name> [args]`. Each writes bench/results/<name>.json with its
 * numbers, the database it ran on and the date; docs/ quotes them with this command.
 */
const benches: Record<string, () => Promise<{ main: (args: string[]) => Promise<void> }>> = {
  bucket: () => import('./bucket.ts'),
  cli: () => import('./cli.ts'),
  conditions: () => import('./conditions.ts'),
  jobs: () => import('./jobs.ts'),
  'jobs-local': () => import('./jobs-throughput.ts'),
  'idle-tick': () => import('./idle-tick.ts'),
  slurm: () => import('./slurm-jobs.ts'),
  dashboard: () => import('./dashboard.ts'),
};

const argv = process.argv.slice(2);
// `npm run bench -- jobs --slurm` (or with CALIBLOOP_EXECUTOR=slurm) measures submission to RUNNING on a real Slurm
// (bench/results/slurm.json); plain `jobs` measures the bookkeeping with a no-op executor (bench/results/jobs.json).
const onSlurm = argv[0] === 'jobs' && (argv.includes('--slurm') || process.env.CALIBLOOP_EXECUTOR === 'slurm');
const [name, ...args] = onSlurm ? ['slurm', ...argv.slice(1).filter((a) => a !== '--slurm')] : argv;
if (!name || !benches[name]) {
  console.error(`usage: npm run bench -- <${Object.keys(benches).join('|')}> [args]`);
  process.exit(1);
}
const mod = await benches[name]();
await mod.main(args);
process.exit(0);
