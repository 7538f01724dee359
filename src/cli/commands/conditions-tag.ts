/** `calibloop tag …`: global tags in the manner of `b2conditionsdb tag`. */
import type { Command } from 'commander';
import { CliError, usageError } from '../../clients/api-client.ts';
import { api, confirmByRetyping, globals, output, table } from '../context.ts';
import { tagLifecycle, IRREVERSIBLE_STATES, TAG_TYPE_LIST, type TagState } from '../../domain/tag-states.ts';
import { RUNNING_UPDATE_MODE_LIST } from '../../domain/running-update.ts';
import { collect, explained, iovArg, pointArg } from './conditions-shared.ts';

const enc = encodeURIComponent;

function tagText(t: any): string {
  return [
    `name         ${t.name}`,
    `type         ${t.type}`,
    `state        ${t.state}${t.nextStates?.length ? ` (may go to ${t.nextStates.join(', ')})` : ''}`,
    `description  ${t.description || '—'}`,
    `IoVs         ${t.iovCount ?? '?'} (${t.payloadNames ?? '?'} payload names)`,
    `FCSR         ${t.fcsr ? `${t.fcsr.exp},${t.fcsr.run}` : '—'}`,
    `created      ${t.createdAt} by ${t.createdBy}`,
    `updated      ${t.updatedAt} (version ${t.version})`,
  ].join('\n');
}

function summaryText(s: any): string {
  const lines = [
    `${s.applied ? 'applied' : 'plan (not applied)'}: ${s.staging} -> ${s.running} from ${s.firstValid.exp},${s.firstValid.run} (${s.mode})`,
    `closed ${s.counts.closed}, extended ${s.counts.extended}, added ${s.counts.added}; next possible first valid run ${s.nextFirstValid.exp},${s.nextFirstValid.run}`,
  ];
  const rows = [
    ...s.closed.map((c: any) => ({ op: 'close', name: c.name, revision: c.revision, from: c.from, to: c.to })),
    ...s.extended.map((e: any) => ({ op: e.unchanged ? 'keep' : 'extend', name: e.name, revision: e.revision, from: e.from, to: e.to })),
    ...s.added.map((a: any) => ({ op: 'add', name: a.name, revision: a.revision, from: '', to: a.iov })),
  ];
  if (rows.length) lines.push('', table(rows, ['op', 'name', 'revision', 'from', 'to']));
  return lines.join('\n');
}

export function registerTagCommands(program: Command): void {
  const tag = program.command('tag').description('global tags: list, show, create, clone, state, merge, diff, history, snapshot, running update');

  tag
    .command('list')
    .description('list global tags')
    .option('--state <state>', tagLifecycle.list.join('|'))
    .option('--type <type>', TAG_TYPE_LIST.join('|'))
    .option('--contains <text>', 'part of the name')
    .action(async (o, cmd: Command) => {
      const { data } = await api(cmd).get('/tags', { params: { state: o.state, type: o.type, contains: o.contains } });
      output(cmd, data, (rows: any[]) => table(rows, ['name', 'type', 'state', 'iovCount', 'payloadNames', 'updatedAt']));
    });

  tag
    .command('show <name>')
    .description('one tag: state, type, FCSR, counts')
    .action(async (name: string, _o, cmd: Command) => {
      const { data } = await api(cmd).get(`/tags/${enc(name)}`);
      output(cmd, data, tagText);
    });

  tag
    .command('create <name>')
    .description('create a tag (OPEN)')
    .requiredOption('--type <type>', TAG_TYPE_LIST.join('|'))
    .option('--description <text>', '', '')
    .action(async (name: string, o, cmd: Command) => {
      const { data } = await api(cmd).post('/tags', { name, type: o.type, description: o.description });
      output(cmd, data, (t) => `created ${t.name} (${t.type}, ${t.state})`);
    });

  tag
    .command('clone <source> <name>')
    .description('copy a tag into a new OPEN tag')
    .option('--type <type>', "type of the clone (default: the source's)")
    .option('--description <text>')
    .option('--as-of <time>', "copy the source's IoVs as they were at this time")
    .option('--reason <text>', '', '')
    .action(async (source: string, name: string, o, cmd: Command) => {
      const { data } = await api(cmd).post(`/tags/${enc(source)}/clone`, { name, type: o.type, description: o.description, asOf: o.asOf, reason: o.reason });
      output(cmd, data, (t) => `cloned ${source} into ${t.name} (${t.copied} IoVs, ${t.state})`);
    });

  tag
    .command('rename <name> <newName>')
    .description('rename a tag (OPEN, TESTING or VALIDATED only)')
    .option('--reason <text>', '', '')
    .action(async (name: string, newName: string, o, cmd: Command) => {
      const { data } = await api(cmd).patch(`/tags/${enc(name)}`, { newName, reason: o.reason });
      output(cmd, data, (t) => `renamed ${name} to ${t.name}`);
    });

  tag
    .command('describe <name> <description>')
    .description("change a tag's description")
    .action(async (name: string, description: string, _o, cmd: Command) => {
      const { data } = await api(cmd).patch(`/tags/${enc(name)}`, { description });
      output(cmd, data, (t) => `description of ${t.name} changed`);
    });

  tag
    .command('state <name> <state>')
    .description(`change the state (${tagLifecycle.list.join(', ')}); PUBLISHED and INVALID ask for the tag name to be retyped`)
    .option('--reason <text>', 'kept in the history', '')
    .option('--yes', 'do not ask for confirmation')
    .action(async (name: string, state: string, o, cmd: Command) => {
      const s = state.toUpperCase() as TagState;
      if (!tagLifecycle.list.includes(s)) throw usageError('<state>', `unknown state ${state}; one of ${tagLifecycle.list.join(', ')}`);
      if (IRREVERSIBLE_STATES.includes(s)) await confirmByRetyping(name, `Setting ${name} to ${s}`, o.yes);
      const { data } = await api(cmd).post(`/tags/${enc(name)}/state`, { state: s, reason: o.reason });
      output(cmd, data, (t) => `${t.name} is now ${t.state}`);
    });

  tag
    .command('fcsr <name> <expRun>')
    .description('record the first condition-safe run (exp,run): running updates below it are refused')
    .option('--force', 'allow moving it backwards')
    .option('--reason <text>', '', '')
    .action(async (name: string, expRun: string, o, cmd: Command) => {
      const p = pointArg(expRun, '<expRun>');
      const { data } = await api(cmd).put(`/tags/${enc(name)}/fcsr`, { ...p, force: Boolean(o.force), reason: o.reason });
      output(cmd, data, (t) => `first condition-safe run of ${t.name}: ${t.fcsr.exp},${t.fcsr.run}`);
    });

  tag
    .command('merge <sources...>')
    .description('merge tags by priority into a new OPEN tag (first source has the highest priority; later ones fill gaps)')
    .requiredOption('-o, --into <target>', 'the new tag')
    .option('--type <type>', TAG_TYPE_LIST.join('|'), 'release')
    .option('--range <tag=iov>', 'take only this run range from a source, e.g. fix=12,100,12,250 (repeatable)', collect, [])
    .option('--description <text>')
    .option('--as-of <time>', 'read the sources as of this time')
    .option('--reason <text>', '', '')
    .action(async (sources: string[], o, cmd: Command) => {
      const ranges = new Map<string, ReturnType<typeof iovArg>>();
      for (const r of o.range as string[]) {
        const [t, iov] = r.split('=');
        if (!t || !iov) throw usageError('--range', `wants tag=e1,r1,e2,r2 (got "${r}")`);
        ranges.set(t, iovArg(iov));
      }
      const body = {
        sources: sources.map((s) => (ranges.has(s) ? { tag: s, range: ranges.get(s) } : s)),
        target: o.into,
        type: o.type,
        description: o.description,
        asOf: o.asOf,
        reason: o.reason,
      };
      const { data } = await api(cmd).post('/merge', body);
      output(cmd, data, (t) => `merged ${sources.join(' > ')} into ${t.name}: ${t.merged} IoVs (${t.state})`);
    });

  tag
    .command('diff <a> [b]')
    .description('differences between two tags, or one tag at two times (--as-of-a/--as-of-b)')
    .option('--as-of-a <time>')
    .option('--as-of-b <time>')
    .action(async (a: string, b: string | undefined, o, cmd: Command) => {
      const { data } = await api(cmd).get('/diff', { params: { a, b, asOfA: o.asOfA, asOfB: o.asOfB } });
      output(cmd, data, (d) => {
        const rows = [
          ...d.removed.map((r: any) => ({ '': '-', name: r.name, revision: r.revision, iov: r.iov })),
          ...d.added.map((r: any) => ({ '': '+', name: r.name, revision: r.revision, iov: r.iov })),
          ...d.changed.map((c: any) => ({ '': '~', name: c.name, revision: c.from.revision === c.to.revision ? c.to.revision : `${c.from.revision} -> ${c.to.revision}`, iov: `${c.from.iov} -> ${c.to.iov}` })),
        ];
        const head = `${d.a.tag}${d.a.asOf ? `@${d.a.asOf}` : ''} -> ${d.b.tag}${d.b.asOf ? `@${d.b.asOf}` : ''}: ${d.added.length} added, ${d.removed.length} removed, ${d.changed.length} changed, ${d.unchanged} unchanged`;
        return rows.length ? `${head}\n${table(rows)}` : head;
      });
    });

  tag
    .command('history <name>')
    .description('who did what to a tag, when and why (newest first)')
    .option('--kind <kind>', 'e.g. state, iov.*, runningupdate')
    .option('--since <time>')
    .option('--limit <n>', 'events', '100')
    .action(async (name: string, o, cmd: Command) => {
      const { data } = await api(cmd).get(`/tags/${enc(name)}/history`, { params: { kind: o.kind, since: o.since, limit: o.limit } });
      output(cmd, data, (d) =>
        table(
          d.events.map((e: any) => ({ at: e.at, actor: e.actor, kind: e.kind, what: describe(e), reason: e.reason })),
          ['at', 'actor', 'kind', 'what', 'reason'],
        ),
      );
    });

  tag
    .command('snapshot <source>')
    .description('PUBLISHED copy of a tag (named, or by the snapshot pattern of globaltags/ for a bucket)')
    .option('--name <name>')
    .option('--bucket <bucket>')
    .option('--as-of <time>')
    .option('--reason <text>', '', '')
    .action(async (source: string, o, cmd: Command) => {
      if (Boolean(o.name) === Boolean(o.bucket)) throw usageError('--name', 'give --name or --bucket (one of them)');
      const { data } = await api(cmd).post(`/tags/${enc(source)}/snapshot`, { name: o.name, bucket: o.bucket, asOf: o.asOf, reason: o.reason });
      output(cmd, data, (t) => `snapshot ${t.name} of ${source}: ${t.copied} IoVs, ${t.state}`);
    });

  tag
    .command('runningupdate <running> <staging>')
    .description('apply a VALIDATED staging tag to a RUNNING tag from a first valid run on (shows the plan, then asks)')
    .requiredOption('--first-valid-run <exp,run>', 'first run the staging payloads apply to')
    .option('--mode <mode>', RUNNING_UPDATE_MODE_LIST.join('|'), 'strict')
    .option('--dry-run', 'show the plan only')
    .option('--yes', 'apply without asking')
    .option('--reason <text>', '', '')
    .action(async (running: string, staging: string, o, cmd: Command) => {
      const body = { staging, firstValid: pointArg(o.firstValidRun, '--first-valid-run'), mode: o.mode, reason: o.reason };
      const client = api(cmd);
      const plan = (await explained(client.post(`/tags/${enc(running)}/runningupdate`, { ...body, dryRun: true }))).data;
      if (o.dryRun) return output(cmd, plan, summaryText);
      if (!o.yes && !globals(cmd).json) process.stderr.write(summaryText(plan) + '\n\n');
      await confirmByRetyping(running, `The running update of ${running}`, o.yes);
      const { data } = await explained(client.post(`/tags/${enc(running)}/runningupdate`, body));
      output(cmd, data, summaryText);
    });
}

function describe(e: any): string {
  const d = e.details ?? {};
  switch (e.kind) {
    case 'state':
      return `${d.from ?? '—'} -> ${d.to}`;
    case 'iov.insert':
    case 'iov.delete':
      return `${d.name} r${d.revision} ${d.iov}`;
    case 'iov.close':
    case 'iov.extend':
    case 'iov.modify':
      return `${d.name} r${d.revision} ${d.from} -> ${d.to}`;
    case 'runningupdate':
      return d.appliedTo ? `applied to ${d.appliedTo} from ${d.firstValid.exp},${d.firstValid.run}` : `${d.staging} from ${d.firstValid.exp},${d.firstValid.run}: ${d.counts.closed} closed, ${d.counts.extended} extended, ${d.counts.added} added`;
    case 'fcsr':
      return `${d.from ? `${d.from.exp},${d.from.run}` : '—'} -> ${d.to.exp},${d.to.run}`;
    case 'rename':
      return `${d.from} -> ${d.to}`;
    case 'clone':
    case 'snapshot':
      return `from ${d.source}: ${d.copied} IoVs`;
    case 'merge':
      return `${d.sources.map((s: any) => s.tag).join(' > ')}: ${d.merged} IoVs`;
    default:
      return JSON.stringify(d);
  }
}
