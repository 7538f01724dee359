/** `calibloop demo` — what `npm start` runs: the whole loop on a small demo experiment (src/services/demo). */
import type { Command } from 'commander';
// The server, the database and the services load inside the commands that need them (await import), so `--help`
// and the REST commands start fast (bench/results/cli.json).

export function registerDemoCommands(program: Command): void {
  program
    .command('demo')
    .description('run the server and drive a demo experiment through the whole loop (npm start); PORT, CALIBLOOP_HOME')
    .option('--home <dir>', 'state directory (default: CALIBLOOP_HOME or ./var)')
    .option('--exit-when-complete', 'exit 0 after `demo complete:` instead of serving on (CI, tests); exit 1 when it fails')
    .option('--timeout-min <n>', 'with --exit-when-complete: give up after this many minutes', (v) => Number(v), 20)
    .action(async (o) => {
      const code = await (await import('../../services/demo/run-demo.ts')).runDemo({
        host: {
          // like serve: hold the home before opening its database, so a token create meanwhile waits for our socket
          createDeps: async (config, overrides) => {
            await (await import('../home-database.ts')).claimHomeForServer(config);
            return (await import('../../bootstrap.ts')).createDeps(config, overrides);
          },
          startServer: async (deps) => (await import('../../server.ts')).startServer(deps, { scheduler: false }),
        },
        home: o.home ?? process.env.CALIBLOOP_HOME ?? './var',
        exitWhenComplete: Boolean(o.exitWhenComplete),
        timeoutMin: o.timeoutMin,
      });
      process.exit(code);
    });
}
