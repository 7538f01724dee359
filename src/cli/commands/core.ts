/** serve, db migrate, token create, audit: the foundation's commands. */
import type { Command } from 'commander';
// The server, the database and the services load inside the commands that need them (await import), so `--help`
// and the REST commands start fast (bench/results/cli.json).
import { SYSTEM_ACTOR, ROLES, type Actor } from '../../domain/roles.ts';
import { systemClock } from '../../domain/clock.ts';
import { api, output, table } from '../context.ts';

export function registerCoreCommands(program: Command): void {
  program
    .command('serve')
    .description('run the API server and the scheduled work (PORT, DATABASE_URL, CALIBLOOP_HOME)')
    .action(async () => {
      const config = (await import('../../config/app-config.ts')).loadAppConfig();
      // before anything compiles WebAssembly (Prisma's query compiler): see server-engine-flags.ts
      (await import('../server-engine-flags.ts')).applyServerEngineFlags({ postgres: Boolean(config.databaseUrl) });
      // before the database opens: a `token create` meanwhile waits for our socket instead of opening it too
      const unmark = await (await import('../home-database.ts')).claimHomeForServer(config);
      const deps = await (await import('../../bootstrap.ts')).createDeps(config);
      if (deps.db.kind === 'pglite') await deps.db.shareOnSocket(config.socketDir);
      const server = await (await import('../../server.ts')).startServer(deps);
      const stop = async () => {
        await server.close();
        await deps.db.close();
        unmark();
        process.exit(0);
      };
      process.once('SIGINT', stop);
      process.once('SIGTERM', stop);
    });

  const db = program.command('db').description('database maintenance');
  db.command('migrate')
    .description('apply the committed migrations (also done automatically at server start-up)')
    .action(async (_o, cmd: Command) => {
      const config = (await import('../../config/app-config.ts')).loadAppConfig();
      const database = await (await import('../home-database.ts')).openHomeDatabase(config, { warn: (m) => process.stderr.write(`${m}\n`) });
      try {
        const applied = await database.migrate();
        output(cmd, { database: database.location, applied }, (d) => (d.applied.length ? `applied: ${d.applied.join(', ')}` : 'database is up to date'));
      } finally {
        await database.close();
      }
    });

  const token = program.command('token').description('API tokens (works on the database directly, to bootstrap)');
  token
    .command('create')
    .description('create a user if needed and print a new token acting in ROLE')
    .requiredOption('--user <name>', 'user name')
    .requiredOption('--role <role>', `one of ${ROLES.join(', ')}`)
    .option('--detector <d...>', 'detectors of a detector_expert (repeatable)')
    .option('--label <text>', 'what the token is for')
    .option('--expires-in-days <n>', 'expiry', (v) => Number(v))
    .action(async (o, cmd: Command) => {
      const config = (await import('../../config/app-config.ts')).loadAppConfig();
      const database = await (await import('../home-database.ts')).openHomeDatabase(config, { warn: (m) => process.stderr.write(`${m}\n`) });
      try {
        if (!database.location.includes('via')) await database.migrate();
        const operator: Actor = { ...SYSTEM_ACTOR, user: `cli:${process.env.USER ?? 'operator'}` };
        const t = await (await import('../../services/identity/tokens.ts')).createToken(database.prisma, systemClock, operator, {
          user: o.user,
          role: o.role,
          detectors: o.detector ?? [],
          label: o.label,
          expiresInDays: o.expiresInDays,
        });
        // the database is named, so a token can never silently land in a database nobody serves
        output(cmd, { ...t, database: database.location }, (d) => `${d.token}\n# user ${d.user}, role ${d.role}${d.detectors.length ? `, detectors ${d.detectors.join(',')}` : ''}; written to ${d.database}; export CALIBLOOP_TOKEN=<the line above>`);
      } finally {
        await database.close();
      }
    });

  program
    .command('audit')
    .description('list audit events (who did what, when)')
    .option('--actor <user>')
    .option('--action <action>', 'exact action or prefix with * (tag.*)')
    .option('--target-type <type>')
    .option('--target-id <id>')
    .option('--since <time>')
    .option('--limit <n>', 'max events', '50')
    .action(async (o, cmd: Command) => {
      const { data } = await api(cmd).get('/audit', {
        params: { actor: o.actor, action: o.action, targetType: o.targetType, targetId: o.targetId, since: o.since, limit: o.limit },
      });
      output(cmd, data, (rows) => table(rows, ['at', 'actor', 'role', 'action', 'targetType', 'targetId', 'summary']));
    });
}
