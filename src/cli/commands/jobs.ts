/**
 * `job list|show|logs|abort|resubmit|priority` with the same filters everywhere (bucket, step, variant, exp, run
 * range, state, error class, ids). Bulk commands are one request each.
 */
import type { Command } from 'commander';
import { CliError, usageError } from '../../clients/api-client.ts';
import { int } from '../parse.ts';
import { api, output, outputList, table } from '../context.ts';

function withFilters(c: Command): Command {
  return c
    .option('--bucket <name>')
    .option('--step <steps>', 'comma-separated steps')
    .option('--variant <variants>', 'comma-separated variants (skim names, …)')
    .option('--exp <n>', 'experiment', int)
    .option('--runs <from-to>', 'run range, e.g. 100-200 (or one run)')
    .option('--state <states>', 'comma-separated states')
    .option('--error-class <classes>', 'comma-separated error classes (input, software, site, resource)')
    .option('--ids <ids>', 'comma-separated job ids');
}

function filterOf(o: any): Record<string, unknown> {
  let runFrom: number | undefined;
  let runTo: number | undefined;
  if (o.runs) {
    const m = /^(\d+)(?:-(\d+))?$/.exec(o.runs);
    if (!m) throw usageError('--runs', `wants A-B or A (got "${o.runs}")`);
    runFrom = Number(m[1]);
    runTo = Number(m[2] ?? m[1]);
  }
  const split = (v?: string) => (v ? v.split(',').map((x) => x.trim()).filter(Boolean) : undefined);
  const f: Record<string, unknown> = {
    bucket: o.bucket,
    step: split(o.step),
    variant: split(o.variant),
    exp: o.exp,
    runFrom,
    runTo,
    state: split(o.state),
    errorClass: split(o.errorClass),
    ids: split(o.ids)?.map(Number),
  };
  return Object.fromEntries(Object.entries(f).filter(([, v]) => v !== undefined));
}

const bulkText = (d: any) => `${d.operation}: ${d.changed} job(s) changed${Object.keys(d.byState).length ? ` (from ${Object.entries(d.byState).map(([k, v]) => `${v} ${k}`).join(', ')})` : ''}${d.alreadySubmitted ? `; ${d.alreadySubmitted} already at the executor keep their priority` : ''}`;

export function registerJobCommands(program: Command): void {
  const job = program.command('job').description('jobs of every step: production, calibration, prompt processing, reprocessing');
  withFilters(job.command('list').description('list jobs'))
    .option('--limit <n>', 'max jobs', int, 200)
    .option('--offset <n>', 'skip', int, 0)
    .action(async (o, cmd: Command) => {
      const f = filterOf(o);
      const params = { ...f, step: (f.step as string[] | undefined)?.join(','), variant: (f.variant as string[] | undefined)?.join(','), state: (f.state as string[] | undefined)?.join(','), errorClass: (f.errorClass as string[] | undefined)?.join(','), ids: (f.ids as number[] | undefined)?.join(','), limit: o.limit, offset: o.offset };
      const { data } = await api(cmd).get('/jobs', { params });
      outputList(cmd, data.jobs, (jobs) =>
        `${table(
          jobs.map((j: any) => ({ id: j.id, step: j.step, variant: j.variant, run: j.run === null ? '' : `e${j.exp} r${j.run}`, chunk: j.chunk, state: j.state, attempts: `${j.attempts}/${j.maxAttempts}`, error: j.errorClass ? `${j.errorClass}: ${(j.errorMessage ?? '').slice(0, 60)}` : '' })),
          ['id', 'step', 'variant', 'run', 'chunk', 'state', 'attempts', 'error'],
        )}\n${jobs.length} of ${data.total} job(s)`,
        data.total,
      );
    });
  job
    .command('show <id>')
    .description('one job: command, attempts with their error classes, outputs')
    .action(async (id: string, _o, cmd: Command) => {
      const { data } = await api(cmd).get(`/jobs/${int(id)}`);
      output(cmd, data, (j) =>
        [
          `job        ${j.id} ${j.key}`,
          `state      ${j.state} (attempt ${j.attempts} of ${j.maxAttempts}, priority ${j.priority})`,
          ...(j.errorClass ? [`error      ${j.errorClass}: ${j.errorMessage}`] : []),
          `bucket     ${j.bucket ?? '—'}; run ${j.run === null ? '—' : `e${j.exp} r${j.run}`} chunk ${j.chunk}`,
          `executor   ${j.executor ?? '—'} ${j.executorJobId ?? ''}`,
          `resources  ${j.memoryMb} MiB, ${j.timeLimitS} s`,
          `tag chain  ${j.tagChain.join(' ') || '—'}`,
          `command    ${j.command.join(' ')}`,
          `log        ${j.logPath ?? '—'}`,
          `events     ${j.eventsIn ?? '—'} in, ${j.eventsOut ?? '—'} out`,
          '',
          'attempts:',
          table(j.attemptHistory.map((a: any) => ({ attempt: a.attempt, outcome: a.outcome, class: a.errorClass ?? '', decision: a.decision, exit: a.exitCode ?? '', reason: a.endReason ?? '', memory: a.memoryMb, message: (a.message ?? '').slice(0, 80) }))),
          '',
          'outputs:',
          table(j.outputFiles, ['path', 'size', 'events', 'sha256']),
        ].join('\n'),
      );
    });
  job
    .command('logs <id>')
    .description('the end of a job log')
    .option('--attempt <n>', 'attempt (default: the latest)', int)
    .option('--max-bytes <n>', 'how much of the end', int)
    .action(async (id: string, o, cmd: Command) => {
      const { data } = await api(cmd).get(`/jobs/${int(id)}/logs`, { params: { attempt: o.attempt, maxBytes: o.maxBytes } });
      output(cmd, data, (d) => (d.logPath ? `# ${d.logPath} (attempt ${d.attempt})\n${d.text}` : 'no log yet'));
    });
  withFilters(job.command('abort').description('abort every selected job that is not final (one request)'))
    .option('--reason <text>')
    .action(async (o, cmd: Command) => {
      const { data } = await api(cmd).post('/jobs/abort', { filter: filterOf(o), reason: o.reason });
      output(cmd, data, bulkText);
    });
  withFilters(job.command('resubmit').description('resubmit selected failed jobs (default state failed) with more attempts'))
    .option('--extra-attempts <n>', 'attempts granted', int, 1)
    .option('--memory <mb>', 'new memory request in MiB', int)
    .option('--priority <n>', 'new priority', int)
    .option('--include-input-errors', 'also jobs that failed on corrupt input (after the files were replaced)')
    .option('--reason <text>')
    .action(async (o, cmd: Command) => {
      const { data } = await api(cmd).post('/jobs/resubmit', { filter: filterOf(o), extraAttempts: o.extraAttempts, memoryMb: o.memory, priority: o.priority, includeInputErrors: Boolean(o.includeInputErrors), reason: o.reason });
      output(cmd, data, bulkText);
    });
  withFilters(job.command('priority').description('change the priority of selected jobs not yet submitted'))
    .requiredOption('--priority <n>', 'higher runs first', int)
    .option('--reason <text>')
    .action(async (o, cmd: Command) => {
      const { data } = await api(cmd).post('/jobs/priority', { filter: filterOf(o), priority: o.priority, reason: o.reason });
      output(cmd, data, bulkText);
    });
}
