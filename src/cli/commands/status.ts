/**
 * `calibloop status [--role R] [--watch [S]] [--json]`: what needs attention now (GET /status), a thin view over the
 * same service as the dashboard's overview.
 */
import type { Command } from 'commander';
import { CliError } from '../../clients/api-client.ts';
import { api, output, table } from '../context.ts';

const duration = (s: number) => (s <= 0 ? 'passed' : s >= 3600 ? `${Math.floor(s / 3600)} h ${Math.floor((s % 3600) / 60)} min` : `${Math.ceil(s / 60)} min`);

function render(d: any): string {
  const actions = d.actions.length
    ? table(d.actions.map((a: any) => ({ for: a.role, what: a.title, deadline: a.deadline ? duration((Date.parse(a.deadline) - Date.now()) / 1000) : '' })))
    : '(nothing waits for you)';
  const buckets = table(
    d.buckets.map((b: any) => ({
      bucket: b.name,
      stage: b.stage,
      'waits for': b.waitsFor,
      on: b.waitsOn,
      deadline: b.secondsToDeadline !== null ? duration(b.secondsToDeadline) : '',
      'failed jobs': Object.entries(b.failedJobs).map(([k, n]) => `${k} ${n}`).join(', '),
      candidates: b.pendingCandidates || '',
      fixes: b.pendingFixes || '',
    })),
  );
  return `Needs ${d.role === 'all' ? 'attention' : d.role}${d.detectors ? ` (${d.detectors.join(', ')})` : ''} — ${d.generatedAt}\n${actions}\n\nBuckets\n${buckets}\n`;
}

export function registerStatusCommands(program: Command): void {
  program
    .command('status')
    .description('what needs attention now: per bucket its stage, what it waits for and on whom, deadlines, failed jobs, pending work')
    .option('--role <role>', 'narrow to one role: calibration_manager | data_production_manager | detector_expert | admin')
    .option('--watch [seconds]', 'refresh every N seconds (default 5) until interrupted')
    .action(async (o, cmd: Command) => {
      const every = o.watch === undefined ? 0 : o.watch === true ? 5 : Number(o.watch);
      if (!Number.isInteger(every) || every < 0) throw new CliError(`--watch: not a whole number of seconds: ${o.watch}`);
      const once = async () => {
        const { data } = await api(cmd).get('/status', { params: o.role ? { role: o.role } : {} });
        if (every && process.stdout.isTTY) process.stdout.write('\x1b[2J\x1b[H');
        output(cmd, data, render);
      };
      await once();
      if (!every) return;
      for (;;) {
        await new Promise((r) => setTimeout(r, every * 1000));
        await once();
      }
    });
}
