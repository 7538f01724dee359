/**
 * `report resources [--bucket B] [--runs N]`: what jobs used, per step and calibration, and what a bucket of N runs
 * would need (the numbers to ask the grid for).
 */
import type { Command } from 'commander';
import { CliError } from '../../clients/api-client.ts';
import { api, output, table } from '../context.ts';

const seconds = (s: number | null) => (s === null ? '' : s >= 3600 ? `${(s / 3600).toFixed(1)} h` : `${s.toFixed(1)} s`);
const bytes = (b: number | null) => {
  if (b === null) return '';
  const units = ['B', 'kB', 'MB', 'GB', 'TB', 'PB'];
  let i = 0;
  let v = b;
  while (v >= 1000 && i < units.length - 1) (v /= 1000), i++;
  return `${v.toFixed(v < 10 && i > 0 ? 1 : 0)} ${units[i]}`;
};
const mb = (m: number | null) => (m === null ? '' : `${Math.round(m)} MiB`);

function reportText(d: any): string {
  const name = (g: any) => (g.calibration ? `${g.step}:${g.calibration}` : g.step);
  const per = table(
    d.groups.map((g: any) => ({
      group: name(g),
      jobs: g.jobs,
      attempts: g.attempts,
      'wall p50/p95': `${seconds(g.metrics.wallS.median)} / ${seconds(g.metrics.wallS.p95)}`,
      'cpu p50/p95': `${seconds(g.metrics.cpuS.median)} / ${seconds(g.metrics.cpuS.p95)}`,
      'cpu total': seconds(g.metrics.cpuS.total),
      'rss p50/p95': `${mb(g.metrics.peakRssMb.median)} / ${mb(g.metrics.peakRssMb.p95)}`,
      'in total': bytes(g.metrics.inputBytes.total),
      'out total': bytes(g.metrics.outputBytes.total),
    })),
    ['group', 'jobs', 'attempts', 'wall p50/p95', 'cpu p50/p95', 'cpu total', 'rss p50/p95', 'in total', 'out total'],
  );
  const p = d.projection;
  const proj = table(
    [...p.groups, { ...p.total, step: 'total', calibration: null }].map((g: any) => ({
      group: name(g),
      jobs: g.jobs,
      attempts: g.attempts,
      'wall': seconds(g.wallS),
      'cpu': seconds(g.cpuS),
      'rss p95': mb(g.peakRssMbP95),
      'input': bytes(g.inputBytes),
      'output': bytes(g.outputBytes),
    })),
    ['group', 'jobs', 'attempts', 'wall', 'cpu', 'rss p95', 'input', 'output'],
  );
  return [`${d.attempts} attempt(s)${d.bucket ? ` of bucket ${d.bucket}` : ''}`, '', per, '', `projected for a bucket of ${p.runs} runs:`, proj].join('\n');
}

export function registerReportCommands(program: Command): void {
  const report = program.command('report').description('reports over the job records');
  report
    .command('resources')
    .description('wall, CPU, peak memory, input/output bytes per step and calibration (median, p95, total), projected to a bucket of N runs')
    .option('--bucket <name>', 'only the jobs of this bucket')
    .option('--runs <n>', 'project to a bucket of this many runs')
    .action(async (o, cmd: Command) => {
      if (o.runs !== undefined && !/^[1-9]\d{0,6}$/.test(o.runs)) throw new CliError(`--runs must be a whole number of runs: ${o.runs}`);
      const { data } = await api(cmd).get('/reports/resources', { params: { bucket: o.bucket, runs: o.runs } });
      output(cmd, data, reportText);
    });
}
