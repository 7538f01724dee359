/**
 * `bucket list|show|create|close|status|completeness|recover`. `status` draws one progress bar per production step
 * (cli-progress, on stderr) and prints the step × state table; `--watch` follows it until production is final.
 */
import type { Command } from 'commander';
import cliProgress from 'cli-progress';
import { CliError } from '../../clients/api-client.ts';
import { int } from '../parse.ts';
import { api, globals, output, table } from '../context.ts';

function progressTable(p: any): string {
  const head = `${p.bucket} (${p.stage}) — e${p.exp} runs ${p.firstRun}-${p.lastRun ?? '…'}, ${p.runs} run(s)`;
  if (p.steps.length === 0) return `${head}\nno jobs yet`;
  const rows = p.steps.map((s: any) => ({
    step: s.step,
    'planned/expected': s.expected === null || s.expected === undefined ? '—' : `${s.planned}/${s.expected}`,
    total: s.total,
    created: s.states.created,
    submitted: s.states.submitted,
    running: s.states.running,
    succeeded: `${s.states.succeeded} (${s.percent.succeeded}%)`,
    failed: s.states.failed,
    held: s.states.held,
    cancelled: s.states.cancelled,
    errors: Object.entries(s.errors).map(([k, v]) => `${k}:${v}`).join(' '),
    'events in/out': `${s.eventsIn}/${s.eventsOut}`,
  }));
  const eta = p.eta ? `\nremaining ${p.eta.remaining} unit(s)${p.eta.seconds ? `, at ${p.eta.jobsPerSecond} jobs/s: ~${Math.ceil(p.eta.seconds / 60)} min (ETA ${p.eta.at})` : ''}` : '';
  return `${head}\n${table(rows)}${eta}`;
}

function drawBars(p: any): void {
  if (!process.stderr.isTTY && process.env.CALIBLOOP_FORCE_BARS !== '1') return;
  const bars = new cliProgress.MultiBar(
    { stream: process.stderr, format: ' {step} |{bar}| {percentage}% final · {ok} ok · {bad} failed', hideCursor: true, clearOnComplete: false, noTTYOutput: true, notTTYSchedule: 0 },
    cliProgress.Presets.shades_classic,
  );
  for (const s of p.steps) {
    const final = s.finalUnits ?? s.states.succeeded + s.states.failed + s.states.cancelled;
    bars.create(Math.max(1, s.expected ?? s.total), final, { step: s.step.padEnd(10), ok: s.states.succeeded, bad: s.states.failed });
  }
  bars.stop();
}

export function registerBucketCommands(program: Command): void {
  const bucket = program.command('bucket').description('buckets: contiguous run ranges produced and calibrated together');
  bucket
    .command('list')
    .description('list buckets')
    .option('--exp <n>', 'experiment', int)
    .option('--stage <stages>', 'comma-separated stages')
    .action(async (o, cmd: Command) => {
      const { data } = await api(cmd).get('/buckets', { params: { exp: o.exp, stage: o.stage } });
      output(cmd, data, (rows: any[]) =>
        table(
          rows.map((b) => ({ name: b.name, stage: b.stage, runs: `${b.firstRun}-${b.lastRun ?? '…'}`, 'n runs': b.runs, lumi: b.luminosity, jobs: `${b.jobs.succeeded}/${b.jobs.total} ok, ${b.jobs.failed} failed`, since: b.stageChangedAt })),
          ['name', 'stage', 'runs', 'n runs', 'lumi', 'jobs', 'since'],
        ),
      );
    });
  bucket
    .command('show <name>')
    .description('one bucket with its stage history')
    .action(async (name: string, _o, cmd: Command) => {
      const { data } = await api(cmd).get(`/buckets/${encodeURIComponent(name)}`);
      output(cmd, data, (b) =>
        [
          `bucket     ${b.name} (e${b.exp} runs ${b.firstRun}-${b.lastRun ?? '…'})`,
          `stage      ${b.stage} since ${b.stageChangedAt}`,
          `runs       ${b.runs}, ${Number(b.luminosity).toFixed(3)} /pb, ${b.firstStart ?? '?'} – ${b.lastEnd ?? '?'}`,
          `opened     ${b.openedAt}${b.closedAt ? `; closed ${b.closedAt} by ${b.closedBy} (${b.closeReason})` : ''}`,
          ...(b.flaggedRuns.length ? ['', `flagged runs (${b.flaggedRuns.length}):`, ...b.flaggedRuns.map((r: any) => `  e${r.exp} r${r.run}: ${r.flagReason}`)] : []),
          '',
          'history:',
          table(b.history, ['at', 'actor', 'summary']),
        ].join('\n'),
      );
    });
  bucket
    .command('create')
    .description('create a bucket for a run range (closed at once with --last-run)')
    .requiredOption('--exp <n>', 'experiment', int)
    .requiredOption('--first-run <run>', 'first run', int)
    .option('--last-run <run>', 'last run (closes the bucket)', int)
    .option('--reason <text>')
    .action(async (o, cmd: Command) => {
      const { data } = await api(cmd).post('/buckets', { exp: o.exp, firstRun: o.firstRun, lastRun: o.lastRun, reason: o.reason });
      output(cmd, data, (b) => `created ${b.name} (runs ${b.firstRun}-${b.lastRun ?? '…'})`);
    });
  bucket
    .command('close <name>')
    .description('close an open bucket (production starts on the next tick)')
    .option('--last-run <run>', 'last run (default: its highest run)', int)
    .option('--reason <text>')
    .action(async (name: string, o, cmd: Command) => {
      const { data } = await api(cmd).post(`/buckets/${encodeURIComponent(name)}/close`, { lastRun: o.lastRun, reason: o.reason });
      output(cmd, data, (b) => `closed ${b.name} at run ${b.lastRun}`);
    });
  bucket
    .command('recover <name>')
    .description('bring a failed bucket back to the stage it failed in')
    .requiredOption('--reason <text>')
    .action(async (name: string, o, cmd: Command) => {
      const { data } = await api(cmd).post(`/buckets/${encodeURIComponent(name)}/recover`, { reason: o.reason });
      output(cmd, data, (b) => `${b.name} is ${b.stage} again`);
    });
  bucket
    .command('status <name>')
    .description('production progress: a bar per step and the step × state table')
    .option('--watch <seconds>', 'refresh until no job is pending', int)
    .action(async (name: string, o, cmd: Command) => {
      const client = api(cmd);
      for (;;) {
        const { data } = await client.get(`/buckets/${encodeURIComponent(name)}/progress`);
        if (!globals(cmd).json) drawBars(data);
        output(cmd, data, progressTable);
        const pending = data.steps.some((s: any) => s.states.created + s.states.submitted + s.states.running > 0);
        if (!o.watch || (!pending && data.stage !== 'closed' && data.stage !== 'open')) break;
        await new Promise((r) => setTimeout(r, o.watch * 1000));
      }
    });
  bucket
    .command('completeness <name>')
    .description('runs per completeness status per step, and what is missing for each incomplete run')
    .option('--step <step>')
    .action(async (name: string, o, cmd: Command) => {
      const { data } = await api(cmd).get(`/buckets/${encodeURIComponent(name)}/completeness`, { params: { step: o.step } });
      output(cmd, data, (c) => {
        const lines = [`${c.bucket} (${c.stage}), ${c.runs} run(s)`];
        for (const [step, counts] of Object.entries(c.summary)) lines.push(`  ${step.padEnd(10)} ${Object.entries(counts as object).map(([k, v]) => `${v} ${k}`).join(', ') || '—'}`);
        for (const r of c.incomplete.slice(0, 200)) {
          for (const s of r.steps) {
            lines.push(`  e${r.exp} r${r.run} ${s.step}: ${s.status}`);
            for (const m of s.missing.slice(0, 10)) lines.push(`      ${m.kind}: ${m.chain ?? m.reason}`);
          }
        }
        return lines.join('\n');
      });
    });
}
