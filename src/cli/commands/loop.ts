/**
 * The loop's commands: fix windows (`window list|show|extend|close`), fixes (`fix upload|approve|reject`), blessing
 * (`bless`), reprocessing campaigns (`reprocess list|show|launch|abort|report`) and `notifications`. All call the REST
 * API and honour --json.
 */
import { humanDuration } from '../../domain/human.ts';
import { readFileSync } from 'node:fs';
import type { Command } from 'commander';
import { CliError, usageError } from '../../clients/api-client.ts';
import { api, confirmByRetyping, output, table } from '../context.ts';
import { iovArg } from './conditions-shared.ts';

const remaining = (s: number) => (s <= 0 ? '—' : humanDuration(s * 1000));

function windowText(w: any): string {
  const lines = [
    `bucket     ${w.bucket} (runs ${w.runs.exp}/${w.runs.firstRun}-${w.runs.lastRun}, stage ${w.bucketStage})`,
    `state      ${w.state}${w.acceptingFixes ? ` — accepting fixes, ${remaining(w.remainingS)} left` : ''}`,
    `opened     ${w.openedAt}`,
    `deadline   ${w.deadline}${w.extensions ? ` (extended ${w.extensions}×, first deadline ${w.initialDeadline})` : ''}`,
  ];
  if (w.closedAt) lines.push(`closed     ${w.closedAt} by ${w.closedBy}: ${w.closeReason}`);
  if (w.finalTag) lines.push(`final tag  ${w.finalTag}`);
  if (w.fixes) {
    lines.push('', 'fixes:');
    lines.push(
      table(
        w.fixes.map((f: any) => ({ ...f, iov: f.iov.join(','), decided: f.decidedBy ? `${f.decidedBy}${f.comment ? `: ${f.comment}` : ''}` : '' })),
        ['id', 'state', 'name', 'revision', 'detector', 'iov', 'submittedBy', 'reason', 'decided'],
      ),
    );
  }
  return lines.join('\n');
}

function campaignText(c: any): string {
  const lines = [
    `campaign   ${c.id} — bucket ${c.bucket} (${c.bucketStage})`,
    `state      ${c.state}${c.endReason ? ` (${c.endReason})` : ''}`,
    `tag        ${c.tag}`,
    `runs       ${c.runs.selected} selected: ${c.runs.done} done, ${c.runs.failed} failed, ${c.runs.pending} pending; ${c.runs.skipped} skipped`,
    `jobs       ${c.jobs.total} (${c.jobs.succeeded} succeeded, ${c.jobs.failed} failed, ${c.jobs.active} active)`,
    `events     ${c.events.in} in, ${c.events.out} out`,
    `created    ${c.createdAt} by ${c.createdBy}${c.launchedAt ? `; launched ${c.launchedAt} by ${c.launchedBy}` : ''}${c.finishedAt ? `; ended ${c.finishedAt}` : ''}`,
  ];
  if (c.runPlan) lines.push('', table(c.runPlan.map((p: any) => ({ run: `${p.exp}/${p.run}`, selected: p.selected ? 'yes' : 'no', reason: p.reason }))));
  return lines.join('\n');
}

function reportText(r: any): string {
  const s = r.summary;
  const lines = [
    `reprocessing report — campaign ${r.campaign}, bucket ${r.bucket}: ${r.state}`,
    `tag used   ${r.tag} (chain ${r.tagChain.join(' > ')})`,
    `launched   ${r.launchedAt ?? '—'} by ${r.launchedBy ?? '—'}; ended ${r.finishedAt ?? '—'}`,
    `runs       ${s.runs.done} done, ${s.runs.failed} failed, ${s.runs.skipped} skipped, ${s.runs.pending} pending`,
    `events     ${s.events.in} read, ${s.events.out} written; ${s.outputs.files} mDST file(s), ${s.outputs.bytes} bytes`,
  ];
  const section = (title: string, rows: any[]) => {
    if (rows.length === 0) return;
    lines.push('', `${title}:`, table(rows.map((x) => ({ run: `${x.exp}/${x.run}`, jobs: x.jobs, eventsOut: x.eventsOut, reason: x.reason }))));
  };
  section('done', r.done);
  section('failed', r.failed);
  section('skipped', r.skipped);
  section('pending', r.pending);
  return lines.join('\n');
}

export function registerLoopCommands(program: Command): void {
  const window = program.command('window').description('fix windows of buckets (after prompt processing)');
  window
    .command('list')
    .description('list fix windows')
    .option('--state <state>', 'open or closed')
    .action(async (o, cmd: Command) => {
      const { data } = await api(cmd).get('/windows', { params: { state: o.state } });
      output(cmd, data, (rows) =>
        table(
          rows.map((w: any) => ({ ...w, left: w.acceptingFixes ? remaining(w.remainingS) : '', fixes: Object.entries(w.fixCounts).map(([k, v]) => `${v} ${k}`).join(', ') })),
          ['bucket', 'state', 'deadline', 'left', 'extensions', 'fixes', 'bucketStage', 'finalTag'],
        ),
      );
    });
  window
    .command('show <bucket>')
    .description("a bucket's fix window with its fixes")
    .action(async (bucket: string, _o, cmd: Command) => {
      const { data } = await api(cmd).get(`/windows/${encodeURIComponent(bucket)}`);
      output(cmd, data, windowText);
    });
  window
    .command('extend <bucket>')
    .description('give experts more time (calibration manager)')
    .option('--hours <n>', 'hours added to the current deadline', Number)
    .option('--until <time>', 'new deadline (ISO time)')
    .requiredOption('--reason <text>', 'why (audited)')
    .action(async (bucket: string, o, cmd: Command) => {
      const { data } = await api(cmd).post(`/windows/${encodeURIComponent(bucket)}/extend`, { hours: o.hours, until: o.until, reason: o.reason });
      output(cmd, data, (w) => `fix window of ${w.bucket} now closes at ${w.deadline}`);
    });
  window
    .command('close <bucket>')
    .description('close the window before its deadline (calibration manager); the final tag is then assembled')
    .requiredOption('--reason <text>', 'why (audited)')
    .action(async (bucket: string, o, cmd: Command) => {
      const { data } = await api(cmd).post(`/windows/${encodeURIComponent(bucket)}/close`, { reason: o.reason });
      output(cmd, data, (w) => `fix window of ${w.bucket} closed${w.finalTag ? `; final tag ${w.finalTag} awaits blessing` : ''}`);
    });

  const fix = program.command('fix').description('fixes: corrected payloads uploaded during a fix window');
  fix
    .command('upload')
    .description("upload a corrected payload for a bucket's runs into the fixing tag (detector expert, pending approval)")
    .requiredOption('--bucket <bucket>', 'bucket whose window is open')
    .requiredOption('--name <payload>', 'payload name, e.g. ECLCrystalEnergyScale')
    .requiredOption('--file <path>', 'the payload file')
    .requiredOption('--iov <e1,r1,e2,r2>', "closed IoV inside the bucket's runs")
    .requiredOption('--reason <text>', 'what the fix corrects')
    .option('--detector <d>', 'only for a payload no calibration produces')
    .action(async (o, cmd: Command) => {
      let content: Buffer;
      try {
        content = readFileSync(o.file);
      } catch (e) {
        throw new CliError(`cannot read ${o.file}: ${(e as Error).message}`);
      }
      const { data } = await api(cmd).post(`/windows/${encodeURIComponent(o.bucket)}/fixes`, {
        name: o.name,
        iov: iovArg(o.iov, '--iov'),
        reason: o.reason,
        detector: o.detector,
        contentBase64: content.toString('base64'),
      });
      output(cmd, data, (f) => `fix ${f.id}: ${f.name} rev ${f.revision} IoV ${f.iov.join(',')} for ${f.bucket} — ${f.state}, waiting for the calibration manager`);
    });
  for (const decision of ['approve', 'reject'] as const) {
    fix
      .command(`${decision} <id>`)
      .description(decision === 'approve' ? 'approve a fix: it goes into the fixing tag (calibration manager)' : 'reject a fix (calibration manager)')
      .option('--comment <text>', 'comment kept with the decision')
      .action(async (id: string, o, cmd: Command) => {
        const { data } = await api(cmd).post(`/fixes/${encodeURIComponent(id)}/${decision}`, { comment: o.comment });
        output(cmd, data, (f) => `fix ${f.id} (${f.name} rev ${f.revision}) ${f.state}`);
      });
  }

  program
    .command('bless')
    .description("bless a bucket's final tag (PUBLISHED, cannot be undone) and create its reprocessing campaign")
    .requiredOption('--bucket <bucket>', 'bucket awaiting blessing')
    .option('--comment <text>', 'kept in the audit trail')
    .option('--yes', 'do not ask to retype the bucket name')
    .action(async (o, cmd: Command) => {
      await confirmByRetyping(o.bucket, `Blessing publishes the final tag of ${o.bucket}; it`, o.yes);
      const { data } = await api(cmd).post(`/buckets/${encodeURIComponent(o.bucket)}/bless`, { comment: o.comment });
      output(
        cmd,
        data,
        (d) =>
          `${d.finalTag} blessed (PUBLISHED). Reprocessing campaign ${d.campaign.id}: ${d.campaign.runs.selected} run(s), ${d.campaign.runs.skipped} skipped — ${d.campaign.state}` +
          (d.campaign.state === 'created' ? `\nlaunch it: calibloop reprocess launch ${d.campaign.id}` : ''),
      );
    });

  const re = program.command('reprocess').description('final mDST reprocessing campaigns of blessed buckets');
  re.command('list')
    .description('list campaigns')
    .option('--state <state>', 'created, launched, running, finished, failed, aborted')
    .action(async (o, cmd: Command) => {
      const { data } = await api(cmd).get('/reprocessing', { params: { state: o.state } });
      output(cmd, data, (rows) =>
        table(
          rows.map((c: any) => ({ ...c, runs: `${c.runs.done}/${c.runs.selected} done, ${c.runs.failed} failed, ${c.runs.skipped} skipped`, jobs: `${c.jobs.succeeded}/${c.jobs.total}` })),
          ['id', 'bucket', 'state', 'tag', 'runs', 'jobs', 'launchedBy'],
        ),
      );
    });
  re.command('show <campaign>')
    .description("a campaign (its name or its bucket's name; --id for the campaign's id) with its run plan")
    .option('--id', 'the argument is the campaign id')
    .action(async (ref: string, o, cmd: Command) => {
      const { data } = await api(cmd).get(o.id ? `/reprocessing/by-id/${encodeURIComponent(ref)}` : `/reprocessing/${encodeURIComponent(ref)}`);
      output(cmd, data, campaignText);
    });
  re.command('launch <campaign>')
    .description('launch a created campaign (data-production manager)')
    .action(async (ref: string, _o, cmd: Command) => {
      const { data } = await api(cmd).post(`/reprocessing/${encodeURIComponent(ref)}/launch`, {});
      output(cmd, data, (c) => `campaign ${c.id} of ${c.bucket}: ${c.state}, ${c.jobs.total} job(s) for ${c.runs.selected} run(s)`);
    });
  re.command('abort <campaign>')
    .description('abort a campaign and cancel its jobs (data-production manager)')
    .requiredOption('--reason <text>', 'why (audited)')
    .action(async (ref: string, o, cmd: Command) => {
      const { data } = await api(cmd).post(`/reprocessing/${encodeURIComponent(ref)}/abort`, { reason: o.reason });
      output(cmd, data, (c) => `campaign ${c.id} of ${c.bucket} aborted; ${c.cancelledJobs} job(s) cancelled`);
    });
  re.command('create <name>')
    .description('special processing of a run range across buckets with a tag chain and release; runs from the blessed good-run lists (data-production manager)')
    .requiredOption('--exp <n>', 'experiment')
    .requiredOption('--runs <first-last>', 'run range, e.g. 100-350')
    .requiredOption('--tags <t1,t2,...>', 'tag chain, highest priority first')
    .requiredOption('--release <name>', 'software release, e.g. release-08-02-00')
    .option('--good-run-tags <t1,...>', 'tags whose GoodRunList payloads select the runs (default: the tag chain)')
    .option('--require <detectors>', 'detectors that must be good, e.g. cdc,ecl')
    .option('--reason <text>')
    .action(async (name: string, o, cmd: Command) => {
      const m = /^(\d+)-(\d+)$/.exec(o.runs);
      if (!m || !/^\d+$/.test(o.exp)) throw new CliError('--exp is a number and --runs a range such as 100-350');
      const list = (v?: string) => (v ? String(v).split(',').map((x) => x.trim()).filter(Boolean) : undefined);
      const body = {
        name,
        exp: Number(o.exp),
        firstRun: Number(m[1]),
        lastRun: Number(m[2]),
        tagChain: list(o.tags),
        release: o.release,
        ...(o.goodRunTags ? { goodRunTags: list(o.goodRunTags) } : {}),
        ...(o.require ? { requirements: { requireGood: list(o.require) } } : {}),
        ...(o.reason ? { reason: o.reason } : {}),
      };
      const { data } = await api(cmd).post('/reprocessing', body);
      output(cmd, data, (c) => `campaign ${c.id} (${c.name}): ${c.runs.selected} run(s) selected, ${c.runs.skipped} skipped; launch it: calibloop reprocess launch ${c.name}`);
    });
  re.command('recreate <campaign>')
    .description('re-create an aborted campaign under its name (data-production manager)')
    .option('--reason <text>')
    .action(async (ref: string, o, cmd: Command) => {
      const { data } = await api(cmd).post(`/reprocessing/${encodeURIComponent(ref)}/recreate`, o.reason ? { reason: o.reason } : {});
      output(cmd, data, (c) => `campaign ${c.id} (${c.name}) re-created from ${c.recreatedFrom}: ${c.runs.selected} run(s) selected; launch it: calibloop reprocess launch ${c.name}`);
    });
  re.command('report <campaign>')
    .description('runs done / failed / skipped with reasons, events, tag used')
    .action(async (ref: string, _o, cmd: Command) => {
      const { data } = await api(cmd).get(`/reprocessing/${encodeURIComponent(ref)}/report`);
      output(cmd, data, reportText);
    });

  program
    .command('notifications')
    .description('loop notifications and their delivery (webhook or log)')
    .option('--limit <n>', 'how many', '30')
    .action(async (o, cmd: Command) => {
      const { data } = await api(cmd).get('/notifications', { params: { limit: o.limit } });
      output(cmd, data, (rows) => table(rows, ['createdAt', 'kind', 'delivery', 'message']));
    });
}
