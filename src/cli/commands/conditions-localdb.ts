/**
 * `calibloop export localdb` and `calibloop import localdb`: basf2 local databases (database.txt and
 * dbstore_<name>_rev_<revision>.root files) written from, and read into, the conditions store over the REST API.
 */
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { Command } from 'commander';
import { CliError, usageError } from '../../clients/api-client.ts';
import { runFromOptions } from '../parse.ts';
import { DATABASE_FILE, formatDatabaseTxt, payloadFileName, readDatabaseTxt } from '../../domain/localdb-format.ts';
import { EXIT } from '../exit-codes.ts';
import { TAG_TYPE_LIST } from '../../domain/tag-states.ts';
import { api, globals, output } from '../context.ts';
import { collect, intArg, progressBar } from './conditions-shared.ts';
import { downloadFile, md5OfFile, uploadFile } from './conditions-payload.ts';

export function registerLocalDbCommands(program: Command): void {
  const exp = program.commands.find((c) => c.name() === 'export') ?? program.command('export').description('export conditions');
  exp
    .command('localdb')
    .description('write a basf2 local database (database.txt + payload files) for a tag chain, or for one run of it')
    .option('--tag <name>', 'tag of the chain, highest priority first (repeatable)', collect, [])
    .requiredOption('--out <dir>', 'directory to write')
    .option('--run <E,R>', 'only the payloads valid for this run, e.g. 12,345 (or --exp 12 --run 345)')
    .option('--exp <E>', 'experiment, when --run gives only the run number')
    .option('--as-of <time>', 'the chain as it was at this time')
    .action(async (o, cmd: Command) => {
      if (!o.tag.length) throw usageError('--tag', 'give at least one --tag');
      const at = runFromOptions(o);
      const client = api(cmd);
      const { data: plan } = await client.get('/localdb', {
        params: { tag: o.tag.join(','), exp: at?.exp, run: at?.run, asOf: o.asOf },
      });
      mkdirSync(o.out, { recursive: true });
      const files = new Map<string, any>();
      for (const e of plan.entries) files.set(e.file, e);
      const total = [...files.values()].reduce((s, e) => s + e.size, 0);
      const bar = progressBar('export', total, !globals(cmd).json);
      let done = 0;
      try {
        for (const e of files.values()) {
          const dest = join(o.out, e.file);
          if (!(existsSync(dest) && (await md5OfFile(dest)) === e.md5)) {
            await downloadFile(client, e.name, e.revision, dest, (n) => bar.update(done + n));
          }
          done += e.size;
          bar.update(done);
        }
      } finally {
        bar.stop();
      }
      const header = [`basf2 local database exported by calibloop from ${plan.tags.join(' > ')}`, ...(plan.exp !== null ? [`only payloads valid for exp ${plan.exp} run ${plan.run}`] : []), ...(plan.asOf ? [`as of ${plan.asOf}`] : [])];
      writeFileSync(join(o.out, DATABASE_FILE), formatDatabaseTxt(plan.entries, header));
      output(cmd, { dir: o.out, entries: plan.entries.length, files: files.size, bytes: total }, (d) => `${d.dir}: ${d.entries} IoVs, ${d.files} payload files`);
    });

  const imp = program.commands.find((c) => c.name() === 'import') ?? program.command('import').description('import conditions');
  imp
    .command('localdb <dir>')
    .description('upload the payload files of a basf2 local database and add its IoVs to an OPEN tag (later lines win)')
    .requiredOption('--tag <name>', 'target tag')
    .option('--create <type>', `create the tag when missing (${TAG_TYPE_LIST.join('|')})`)
    .option('--reason <text>', '', '')
    .action(async (dir: string, o, cmd: Command) => {
      const file = join(dir, DATABASE_FILE);
      if (!existsSync(file)) throw usageError('<dir>', `${file} does not exist`);
      // Every problem at once, each with the database.txt line it comes from: malformed lines and missing files.
      const { lines, problems } = readDatabaseTxt(readFileSync(file, 'utf8'), file);
      for (const l of lines) {
        const payloadFile = payloadFileName(l.name, l.revision);
        if (!existsSync(join(dir, payloadFile))) problems.push({ path: `${file}:${l.line}`, message: `payload file ${join(dir, payloadFile)} is missing (${l.name} revision ${l.revision})` });
      }
      problems.sort((a, b) => Number(a.path.split(':').pop()) - Number(b.path.split(':').pop()));
      if (problems.length) throw new CliError(`${file}: ${problems.length} problem${problems.length === 1 ? '' : 's'}; nothing imported`, EXIT.USAGE, problems, 'INVALID_INPUT');
      if (!lines.length) throw usageError('<dir>', `${file} has no entries`);
      const payloads = [...new Map(lines.map((l) => [`${l.name}@${l.revision}`, l])).values()];
      const client = api(cmd);
      const revisionOf = new Map<string, number>();
      const bar = progressBar('upload', payloads.length, !globals(cmd).json);
      try {
        for (const [k, p] of payloads.entries()) {
          const up = await uploadFile(client, p.name, join(dir, payloadFileName(p.name, p.revision)), { reason: o.reason || `import of ${dir}` });
          revisionOf.set(`${p.name}@${p.revision}`, up.revision);
          bar.update(k + 1);
        }
      } finally {
        bar.stop();
      }
      const body = {
        lines: lines.map((l) => ({ name: l.name, revision: revisionOf.get(`${l.name}@${l.revision}`)!, iov: { firstExp: l.firstExp, firstRun: l.firstRun, finalExp: l.finalExp, finalRun: l.finalRun } })),
        create: o.create,
        reason: o.reason,
      };
      const { data } = await client.post(`/tags/${encodeURIComponent(o.tag)}/import`, body);
      output(cmd, { ...data, added: data.added.length }, (d) => `${d.tag}${d.created ? ' (created)' : ''}: ${d.lines} lines, ${d.added} IoVs added`);
    });
}
