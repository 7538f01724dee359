/**
 * The calibration loop on the command line:
 *   request submit|list|show|approve|reject      algorithm requests (experts submit, the manager decides)
 *   calibration list|status|plan|advance          calibrations of buckets
 *   payload pending|approve|reject                payload candidates (added to the conditions `payload` command)
 * All with --json.
 */
import { Command } from 'commander';
import { CliError, usageError } from '../../clients/api-client.ts';
import { int } from '../parse.ts';
import { api, output, table } from '../context.ts';

const list = (v: string, prev: string[] = []) => [...prev, ...v.split(',').map((s) => s.trim()).filter(Boolean)];
/** `--set key=value` (repeatable): value parsed as JSON when it is JSON, else taken as a string. */
function setting(v: string, prev: Record<string, unknown> = {}) {
  const i = v.indexOf('=');
  if (i <= 0) throw usageError('--set', `needs key=value, got "${v}"`);
  const raw = v.slice(i + 1);
  let value: unknown = raw;
  try {
    value = JSON.parse(raw);
  } catch {
    // a plain string
  }
  return { ...prev, [v.slice(0, i)]: value };
}

function iov(i: number[]): string {
  return `${i[0]},${i[1]},${i[2]},${i[3]}`;
}

function num(v: unknown, digits = 4): string {
  return typeof v === 'number' ? (Number.isInteger(v) ? String(v) : v.toPrecision(digits)) : v === null || v === undefined ? '' : String(v);
}

/** The constants of a candidate (result.json metrics.values): one shown in full, more as a count and the first. */
function valuesCell(values: Array<{ key: string; value: number; error: number | null }> | null | undefined): string {
  if (!values || values.length === 0) return 'no values reported';
  const one = (v: { key: string; value: number; error: number | null }) => `${num(v.value)}${v.error !== null ? ` ± ${num(v.error, 2)}` : ''}`;
  return values.length === 1 ? one(values[0]) : `${values.length} values (${values[0].key} ${one(values[0])}, …)`;
}

function candidateRows(cs: any[]) {
  return cs.map((c) => ({
    id: c.id,
    bucket: c.bucket,
    calibration: c.calibration,
    payload: `${c.name} r${c.revision}`,
    iov: iov(c.iov),
    outcome: c.outcome,
    iter: c.iteration,
    values: valuesCell(c.values),
    chi2ndf: num(c.metrics?.chi2ndf),
    change: c.metrics?.change !== undefined && c.metrics?.change !== null ? `${num(c.metrics.change)} ${c.metrics.changeUnit ?? ''}`.trim() : '',
    prev: c.previousRevision ?? '',
    state: c.state,
  }));
}

const requestColumns = ['id', 'calibration', 'detector', 'bucket', 'runs', 'state', 'submittedBy', 'reason'];
const requestRow = (r: any) => ({ ...r, runs: r.firstRun !== null ? `${r.exp}/${r.firstRun}-${r.lastRun ?? ''}` : '' });

export function registerCalibrationCommands(program: Command): void {
  const request = program.command('request').description('algorithm requests: detector experts ask, the calibration manager decides');
  request
    .command('submit <calibration>')
    .description('ask for CALIBRATION to run on a bucket or a run range, with expert_config overrides')
    .option('--bucket <name>', 'bucket, e.g. e12_bucket1')
    .option('--exp <n>', 'experiment of a run range', int)
    .option('--first-run <n>', 'first run of the range', int)
    .option('--last-run <n>', 'last run of the range', int)
    .option('--config <json>', 'expert_config overrides as a JSON object')
    .option('--set <key=value>', 'one expert_config override (repeatable; value parsed as JSON if it is)', setting)
    .requiredOption('--reason <text>', 'why it should run')
    .action(async (calibration: string, o, cmd: Command) => {
      let expertConfig: Record<string, unknown> = {};
      if (o.config) {
        try {
          expertConfig = JSON.parse(o.config);
        } catch {
          throw usageError('--config', 'not valid JSON');
        }
      }
      expertConfig = { ...expertConfig, ...(o.set ?? {}) };
      const body = { calibration, bucket: o.bucket, exp: o.exp, firstRun: o.firstRun, lastRun: o.lastRun, expertConfig, reason: o.reason };
      const { data } = await api(cmd).post('/requests', body);
      output(cmd, data, (d) => `request ${d.id} submitted: ${d.calibration} on ${d.bucket} (${d.state}); the calibration manager decides`);
    });
  request
    .command('list')
    .description('list algorithm requests, newest first')
    .option('--state <state>', 'submitted | approved | rejected | running | done | failed')
    .option('--bucket <name>')
    .option('--detector <d>')
    .option('--calibration <name>')
    .action(async (o, cmd: Command) => {
      const { data } = await api(cmd).get('/requests', { params: { state: o.state, bucket: o.bucket, detector: o.detector, calibration: o.calibration } });
      output(cmd, data, (d: any[]) => table(d.map(requestRow), requestColumns));
    });
  request
    .command('show <id>')
    .description('one request, its decision and its calibration run')
    .action(async (id: string, _o, cmd: Command) => {
      const { data } = await api(cmd).get(`/requests/${id}`);
      output(cmd, data, (d) =>
        [
          `request ${d.id}: ${d.calibration} (${d.detector}) on ${d.bucket}${d.firstRun !== null ? ` runs ${d.exp}/${d.firstRun}-${d.lastRun ?? ''}` : ''}`,
          `state:       ${d.state}`,
          `submitted:   ${d.submittedAt} by ${d.submittedBy}: ${d.reason}`,
          `config:      ${JSON.stringify(d.expertConfig)}`,
          d.decidedBy ? `decided:     ${d.decidedAt} by ${d.decidedBy}${d.decisionComment ? `: ${d.decisionComment}` : ''}` : 'decided:     (not yet)',
          d.calibrationRun ? `calibration: run ${d.calibrationRun.id} ${d.calibrationRun.state} (iteration ${d.calibrationRun.iteration}/${d.calibrationRun.maxIterations}) ${d.calibrationRun.message ?? ''}` : '',
        ].filter(Boolean).join('\n'),
      );
    });
  request
    .command('approve <id>')
    .description('approve a request (calibration manager): its calibration run starts waiting')
    .option('--comment <text>')
    .action(async (id: string, o, cmd: Command) => {
      const { data } = await api(cmd).post(`/requests/${id}/approve`, { comment: o.comment });
      output(cmd, data, (d) => `request ${d.id} approved; calibration run ${d.calibrationRunId} waits for its dependencies`);
    });
  request
    .command('reject <id>')
    .description('reject a request (calibration manager), with a comment for the expert')
    .requiredOption('--comment <text>')
    .action(async (id: string, o, cmd: Command) => {
      const { data } = await api(cmd).post(`/requests/${id}/reject`, { comment: o.comment });
      output(cmd, data, (d) => `request ${d.id} rejected`);
    });

  const calibration = program.command('calibration').description('calibrations of buckets');
  calibration
    .command('list')
    .description('calibration runs (current and superseded)')
    .option('--bucket <name>')
    .option('--state <state>')
    .option('--calibration <name>')
    .option('--detector <d>')
    .action(async (o, cmd: Command) => {
      const { data } = await api(cmd).get('/calibrations', { params: { bucket: o.bucket, state: o.state, calibration: o.calibration, detector: o.detector } });
      output(cmd, data, (d: any[]) =>
        table(
          d.map((r) => ({ ...r, iter: `${r.iteration}/${r.maxIterations}`, request: r.requestId ?? '', current: r.current ? '*' : '' })),
          ['id', 'bucket', 'calibration', 'detector', 'state', 'iter', 'request', 'current', 'message'],
        ),
      );
    });
  calibration
    .command('status')
    .description("one bucket's calibration: stage, each calibration's iterations and candidates, what blocks the running update")
    .requiredOption('--bucket <name>')
    .action(async (o, cmd: Command) => {
      const { data } = await api(cmd).get(`/calibrations/buckets/${encodeURIComponent(o.bucket)}`);
      output(cmd, data, (d) => {
        const lines = [`bucket ${d.bucket} (${d.exp}/${d.firstRun}-${d.lastRun ?? 'open'}): stage ${d.stage}`];
        if (d.failure) lines.push(`failure: ${d.failure}`);
        const p = d.progress ?? {};
        if (p.stagingTag) lines.push(`tags: staging ${p.stagingTag}, running ${p.runningTag}, snapshot ${p.snapshotTag}`);
        if (p.runningUpdate) lines.push(`running update: ${p.runningUpdate.at} (${JSON.stringify(p.runningUpdate.counts ?? {})})`);
        if (p.snapshotAt) lines.push(`snapshot: ${p.snapshotAt}`);
        lines.push(d.readyForRunningUpdate.ready ? 'ready for the running update' : `waiting for: ${d.readyForRunningUpdate.blockers.join('; ')}`);
        lines.push('');
        lines.push(
          table(
            d.calibrations.map((c: any) => ({
              id: c.id,
              calibration: c.calibration + (c.current ? '' : ' (superseded)'),
              dependsOn: c.dependsOn.join(','),
              state: c.state,
              iterations: c.iterations.map((i: any) => `${i.iteration}:${i.outcome ?? i.job?.state ?? '…'}`).join(' '),
              candidates: c.candidates.map((x: any) => `${x.id}:${x.name} r${x.revision} ${x.state}`).join('; '),
              message: c.message ?? '',
            })),
            ['id', 'calibration', 'dependsOn', 'state', 'iterations', 'candidates', 'message'],
          ),
        );
        return lines.join('\n');
      });
    });
  calibration
    .command('plan')
    .description('plan the calibrations of a produced bucket now (calibration manager; the tick does it by itself)')
    .requiredOption('--bucket <name>')
    .action(async (o, cmd: Command) => {
      const { data } = await api(cmd).post(`/calibrations/buckets/${encodeURIComponent(o.bucket)}/plan`);
      output(cmd, data, (d) => table(d.calibrations, ['calibration', 'state', 'files', 'events', 'reason']));
    });
  calibration
    .command('advance')
    .description('advance the loop of a bucket now (calibration manager; the ticks do it by themselves)')
    .requiredOption('--bucket <name>')
    .action(async (o, cmd: Command) => {
      const { data } = await api(cmd).post(`/calibrations/buckets/${encodeURIComponent(o.bucket)}/advance`);
      output(cmd, data, (d) => `${d.bucket}: ${d.stage}`);
    });

  // `payload upload|download|show` belong to the conditions CLI; the decisions join the same command.
  const payload = program.commands.find((c) => c.name() === 'payload') ?? program.command('payload').description('payloads');
  payload
    .command('pending')
    .description('payload candidates waiting for the calibration manager (or --state approved|rejected|superseded|all)')
    .option('--bucket <name>')
    .option('--calibration <name>')
    .option('--detector <d>')
    .option('--state <state>', 'default pending')
    .action(async (o, cmd: Command) => {
      const { data } = await api(cmd).get('/payload-candidates', { params: { bucket: o.bucket, calibration: o.calibration, detector: o.detector, state: o.state } });
      output(cmd, data, (d: any[]) => table(candidateRows(d)));
    });
  payload
    .command('approve [ids...]')
    .description('approve candidates by id, or every pending one of --bucket (calibration manager)')
    .option('--bucket <name>')
    .option('--comment <text>', 'required for candidates that stopped at max_iterations')
    .action(async (ids: string[], o, cmd: Command) => {
      const body = ids.length ? { ids: list(ids.join(',')).map(int), comment: o.comment } : { bucket: o.bucket, comment: o.comment };
      const { data } = await api(cmd).post('/payload-candidates/approve', body);
      output(cmd, data, (d: any[]) => `${d.length} candidate(s) approved\n${table(candidateRows(d))}`);
    });
  payload
    .command('reject [ids...]')
    .description('reject candidates by id, or every pending one of --bucket (calibration manager); the calibration returns to its expert')
    .option('--bucket <name>')
    .requiredOption('--comment <text>', 'why (the expert reads it)')
    .action(async (ids: string[], o, cmd: Command) => {
      const body = ids.length ? { ids: list(ids.join(',')).map(int), comment: o.comment } : { bucket: o.bucket, comment: o.comment };
      const { data } = await api(cmd).post('/payload-candidates/reject', body);
      output(cmd, data, (d: any[]) => `${d.length} candidate(s) rejected\n${table(candidateRows(d))}`);
    });
}
