/**
 * `run list|show|import|sources`: the run registry over the REST API, `--json` everywhere.
 */
import { readFileSync } from 'node:fs';
import { extname } from 'node:path';
import type { Command } from 'commander';
import { parse as parseYaml } from 'yaml';
import { CliError } from '../../clients/api-client.ts';
import { int, runPoint } from '../parse.ts';
import { api, output, table } from '../context.ts';

function runText(r: any, completeness?: any): string {
  const q = Object.entries(r.quality ?? {}).map(([d, v]) => `${d}:${v}`).join(' ');
  const lines = [
    `run        e${r.exp} r${r.run} (${r.type}) from ${r.source || '?'}`,
    `time       ${r.startTime ?? '?'} – ${r.endTime ?? 'running'}`,
    `lumi       ${r.luminosity} /pb; events online ${r.eventsOnline}, offline ${r.eventsOffline}`,
    `quality    ${q || '—'}`,
    `bucket     ${r.bucket ? `${r.bucket.name} (${r.bucket.stage})` : '—'}`,
  ];
  if (r.flag) lines.push(`flag       ${r.flag}: ${r.flagReason}`);
  lines.push('', table(r.files.map((f: any) => ({ path: f.path, status: f.status, events: f.events, size: f.size, note: f.flagReason ?? '' })), ['path', 'status', 'events', 'size', 'note']));
  if (completeness) {
    lines.push('', 'completeness:');
    for (const s of completeness.steps) {
      lines.push(`  ${s.step.padEnd(10)} ${s.status}${s.units ? ` (${s.produced}/${s.units} units produced)` : ''}`);
      for (const m of s.missing.slice(0, 50)) lines.push(`    - ${m.kind}: ${m.chain ?? m.reason}${m.jobId ? ` (job ${m.jobId})` : ''}`);
      if (s.missing.length > 50) lines.push(`    … ${s.missing.length - 50} more`);
    }
  }
  return lines.join('\n');
}

export function registerRunCommands(program: Command): void {
  const run = program.command('run').alias('runs').description('runs: the registry fed by the run sources');
  run
    .command('good')
    .description("runs of a tag's blessed good-run lists (GoodRunList payloads) whose detectors pass, e.g. --require cdc,ecl")
    .requiredOption('--tag <tag>', 'global tag holding the good-run list (a blessed final tag)')
    .option('--require <detectors>', 'detectors that must be good (comma-separated)')
    .option('--strict', 'ugly does not count as good')
    .option('--complete', 'only runs whose processing is complete')
    .option('--all', 'also list the runs that do not pass, with why')
    .action(async (o, cmd: Command) => {
      const params = { tag: o.tag, require: o.require, acceptUgly: o.strict ? 'false' : undefined, complete: o.complete ? 'true' : undefined, all: o.all ? 'true' : undefined };
      const { data } = await api(cmd).get('/good-runs', { params });
      output(cmd, data, (d: any) =>
        [
          `${d.good} of ${d.total} run(s) good in ${d.tag}${d.require.length ? ` (requiring ${d.require.join(', ')})` : ''}; from ${d.source.map((p: any) => `${p.name} rev ${p.revision} (${p.bucket})`).join(', ')}`,
          table(
            d.runs.map((r: any) => ({ run: `e${r.exp} r${r.run}`, good: r.good ? 'yes' : 'no', quality: Object.entries(r.quality).map(([k, v]) => `${k}:${v}`).join(' '), complete: r.complete ? 'yes' : 'no', why: r.reason })),
            ['run', 'good', 'quality', 'complete', 'why'],
          ),
        ].join('\n'),
      );
    });
  run
    .command('list')
    .description('list runs')
    .option('--exp <n>', 'experiment', int)
    .option('--from <run>', 'first run', int)
    .option('--to <run>', 'last run', int)
    .option('--bucket <name>', 'runs of a bucket')
    .option('--type <type>', 'run type (physics, cosmic, …)')
    .option('--flagged', 'only runs flagged for input errors')
    .option('--limit <n>', 'max runs', int, 500)
    .action(async (o, cmd: Command) => {
      const { data } = await api(cmd).get('/runs', { params: { exp: o.exp, fromRun: o.from, toRun: o.to, bucket: o.bucket, type: o.type, flagged: o.flagged ? 'true' : undefined, limit: o.limit } });
      output(cmd, data, (rows: any[]) =>
        table(
          rows.map((r) => ({ run: `e${r.exp} r${r.run}`, type: r.type, start: r.startTime, lumi: r.luminosity, events: r.eventsOffline, files: Object.entries(r.filesByStatus).map(([s, n]) => `${n} ${s}`).join(', '), bucket: r.bucket ?? '', flag: r.flag ?? '' })),
          ['run', 'type', 'start', 'lumi', 'events', 'files', 'bucket', 'flag'],
        ),
      );
    });
  run
    .command('show <E,R>')
    .description('one run (e.g. run show 12,345): files, quality, bucket, and whether it is complete for each production step')
    .action(async (text: string, _o, cmd: Command) => {
      const { exp, run: runNo } = runPoint(text, '<E,R>');
      const client = api(cmd);
      const { data } = await client.get(`/runs/${exp}/${runNo}`);
      const { data: completeness } = await client.get(`/runs/${exp}/${runNo}/completeness`);
      output(cmd, { ...data, completeness }, (d) => runText(d, d.completeness));
    });
  run
    .command('import <file>')
    .description('import a run-list file (JSON or YAML, docs/contracts.md); all or nothing')
    .action(async (file: string, _o, cmd: Command) => {
      let body: unknown;
      try {
        const text = readFileSync(file, 'utf8');
        body = extname(file) === '.json' ? JSON.parse(text) : parseYaml(text);
      } catch (e) {
        throw new CliError(`cannot read ${file}: ${(e as Error).message}`);
      }
      const { data } = await api(cmd).post('/runs/import', body);
      output(cmd, data, (d) => `imported ${d.runs} run(s) (${d.newRuns} new), ${d.files} file(s) (${d.newFiles} new)`);
    });
  run
    .command('sources')
    .description('what the run sources read, and what was wrong with rejected files')
    .option('--source <name>')
    .option('--errors', 'only rejected items')
    .action(async (o, cmd: Command) => {
      const { data } = await api(cmd).get('/run-sources', { params: { source: o.source, status: o.errors ? 'error' : undefined } });
      output(cmd, data, (rows: any[]) =>
        table(
          rows.map((r) => ({ source: r.source, item: r.item, status: r.status, runs: r.runs, at: r.processedAt, problem: r.message + (r.problems?.length ? `: ${r.problems.slice(0, 3).map((p: any) => `${p.path} ${p.message}`).join('; ')}` : '') })),
          ['source', 'item', 'status', 'runs', 'at', 'problem'],
        ),
      );
    });
}
