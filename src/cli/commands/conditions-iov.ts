/** `calibloop iov …` and `calibloop resolve`: IoVs of a tag, and the payloads a job gets for a run. */
import type { Command } from 'commander';
import { api, output, outputList, table } from '../context.ts';
import { collect, explained, intArg, iovArg, iovText, pointArg } from './conditions-shared.ts';
import { usageError } from '../../clients/api-client.ts';
import { runFromOptions } from '../parse.ts';

const enc = encodeURIComponent;

export function registerIovCommands(program: Command): void {
  const iov = program.command('iov').description('intervals of validity of a tag: list, add, modify, delete');

  iov
    .command('list <tag>')
    .description('IoVs of a tag, now or --as-of a time')
    .option('--name <payload>', 'only this payload name')
    .option('--run <exp,run>', 'only IoVs covering this run')
    .option('--as-of <time>', 'the tag as it was at this time (ISO 8601)')
    .option('--all', 'also removed rows, with when and by whom')
    .action(async (tag: string, o, cmd: Command) => {
      const at = o.run ? pointArg(o.run, '--run') : undefined;
      const { data } = await api(cmd).get(`/tags/${enc(tag)}/iovs`, { params: { name: o.name, exp: at?.exp, run: at?.run, asOf: o.asOf, includeRemoved: o.all ? 'true' : undefined } });
      outputList(cmd, data.iovs, (iovs) =>
        table(
          iovs.map((i: any) => ({ ...i, iov: iovText(i), removed: i.removedAt ? `${i.removedAt} by ${i.removedBy}` : undefined })),
          ['id', 'name', 'revision', 'iov', 'insertedAt', 'insertedBy', ...(o.all ? ['removed'] : [])],
        ),
      );
    });

  iov
    .command('add <tag> <payload> <revision> <iov>')
    .description('add an IoV (e1,r1,e2,r2; -1,-1 = open end; e2,-1 = all runs of e2) of a payload revision to an OPEN tag')
    .option('--allow-overlap', 'allow overlapping another IoV of the same payload (higher revision wins)')
    .option('--reason <text>', '', '')
    .action(async (tag: string, payload: string, revision: string, text: string, o, cmd: Command) => {
      const body = { payload: { name: payload, revision: intArg(revision) }, iov: iovArg(text), allowOverlap: Boolean(o.allowOverlap), reason: o.reason };
      const { data } = await explained(api(cmd).post(`/tags/${enc(tag)}/iovs`, body));
      output(cmd, data, (i) => `added IoV ${i.id}: ${i.name} r${i.revision} ${iovText(i)} to ${tag}`);
    });

  iov
    .command('modify <tag> <id> <iov>')
    .description('change the interval of an IoV of an OPEN tag (the old row stays for as-of reads)')
    .option('--allow-overlap')
    .option('--reason <text>', '', '')
    .action(async (tag: string, id: string, text: string, o, cmd: Command) => {
      const { data } = await explained(api(cmd).patch(`/tags/${enc(tag)}/iovs/${intArg(id)}`, { iov: iovArg(text), allowOverlap: Boolean(o.allowOverlap), reason: o.reason }));
      output(cmd, data, (i) => `IoV ${i.replaces} is now IoV ${i.id}: ${i.name} r${i.revision} ${iovText(i)}`);
    });

  iov
    .command('delete <tag> <id>')
    .description('remove an IoV from an OPEN tag (kept in the history)')
    .option('--reason <text>', '', '')
    .action(async (tag: string, id: string, o, cmd: Command) => {
      const { data } = await api(cmd).delete(`/tags/${enc(tag)}/iovs/${intArg(id)}`, { params: { reason: o.reason } });
      output(cmd, data, (i) => `removed IoV ${i.id}: ${i.name} r${i.revision} ${iovText(i)}`);
    });

  program
    .command('resolve')
    .description('payloads valid for a run in a tag chain (first tag wins per payload name)')
    .option('--tag <name>', 'tag of the chain, highest priority first (repeatable)', collect, [])
    .option('--run <E,R>', 'the run, e.g. 12,345 (or --exp 12 --run 345)')
    .option('--exp <E>', 'experiment, when --run gives only the run number')
    .option('--as-of <time>', 'the chain as it was at this time')
    .action(async (o, cmd: Command) => {
      if (!o.tag.length) throw usageError('--tag', 'give at least one --tag');
      const at = runFromOptions(o, true)!;
      const { data } = await api(cmd).get('/resolve', { params: { tag: o.tag.join(','), exp: at.exp, run: at.run, asOf: o.asOf } });
      output(cmd, data, (d) =>
        [
          `${d.payloads.length} payloads for run ${at.exp},${at.run} from ${d.tags.join(' > ')}${d.immutable ? ' (immutable)' : ''}; same answer for runs ${d.validFor.join(',')}`,
          table(d.payloads.map((p: any) => ({ ...p, iov: p.iov.join(',') })), ['name', 'revision', 'iov', 'tag', 'checksum']),
        ].join('\n'),
      );
    });
}
