/**
 * Benchmarks (not timed tests): `npm run bench -- <name> [args]`. Each writes bench/results/<name>.json with its
 * numbers, the database it ran on and the date; docs/ quotes them with this command.
 */
const benches: Record<string, () => Promise<{ main: (args: string[]) => Promise<void> }>> = {
  conditions: () => import('./conditions.ts'),
  jobs: () => import('./jobs.ts'),
  slurm: () => import('./slurm-jobs.ts'),
};

const [name, ...args] = process.argv.slice(2);
if (!name || !benches[name]) {
  console.error(`usage: npm run bench -- <${Object.keys(benches).join('|')}> [args]`);
  process.exit(1);
}
const mod = await benches[name]();
await mod.main(args);
process.exit(0);
