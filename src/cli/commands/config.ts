/** `calibloop config check`: the check itself is in config-check.ts, loaded only when the command runs. */
import type { Command } from 'commander';
import type { ConfigCheckCliOptions } from './config-check.ts';

export function registerConfigCommands(program: Command): void {
  const config = program.command('config').description('Inspect and validate calibloop configuration files');
  config
    .command('check')
    .description('Validate calibration definitions, global tag config and demo config; exit 1 on any problem')
    .option('--calibrations <dir>', 'calibration definitions (env CALIBLOOP_CALIBRATIONS_DIR; default ./calibrations)')
    .option('--globaltags <dir>', 'global tag config dir (env CALIBLOOP_GLOBALTAGS_DIR; default ./globaltags)')
    .option('--production <file>', 'production config, for its skim list (env CALIBLOOP_PRODUCTION_FILE; default ./config/production.yaml)')
    .option('--demo <file>', 'demo config (default ./config/demo.yaml when it exists)')
    .option('--json', 'print the result as JSON')
    .action(async (_opts: ConfigCheckCliOptions, cmd: Command) => {
      const { runConfigCheck } = await import('./config-check.ts');
      // optsWithGlobals: the program may define --json globally, and then commander hands it to the program.
      process.exitCode = runConfigCheck(cmd.optsWithGlobals<ConfigCheckCliOptions>());
    });
}
