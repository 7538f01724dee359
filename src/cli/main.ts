/**
 * calibloop's command line, in the manner of b2conditionsdb/conddb: `calibloop <area> <verb>`, `--json` everywhere.
 */
import { Command } from 'commander';
import { CliError } from '../clients/api-client.ts';
import { DomainError } from '../domain/errors.ts';
import { registerCoreCommands } from './commands/core.ts';
import { registerConfigCommands } from './commands/config.ts';
import { registerLoopCommands } from './commands/loop.ts';
import { registerCalibrationCommands } from './commands/calibration.ts';
import { registerRunCommands } from './commands/runs.ts';
import { registerBucketCommands } from './commands/buckets.ts';
import { registerJobCommands } from './commands/jobs.ts';
import { registerDemoCommands } from './commands/demo.ts';
import { registerConditionsCommands } from './commands/conditions.ts';
import { registerStatusCommands } from './commands/status.ts';
import { registerReportCommands } from './commands/report.ts';
// CLI-IMPORTS (keep this marker)

export function buildProgram(): Command {
  const program = new Command();
  program
    .name('calibloop')
    .description('prompt calibration loop and conditions data')
    .option('--url <url>', 'server URL (CALIBLOOP_URL, default http://localhost:8080)')
    .option('--token <token>', 'API token (CALIBLOOP_TOKEN)')
    .option('--json', 'machine-readable output')
    .showHelpAfterError();
  registerCoreCommands(program);
  registerConfigCommands(program);
  registerLoopCommands(program);
  registerCalibrationCommands(program);
  registerRunCommands(program);
  registerBucketCommands(program);
  registerJobCommands(program);
  registerDemoCommands(program);
  registerConditionsCommands(program);
  registerStatusCommands(program);
  registerReportCommands(program);
  // CLI-REGISTER (keep this marker)
  return program;
}

export async function main(argv = process.argv): Promise<void> {
  try {
    await buildProgram().parseAsync(argv);
  } catch (e) {
    if (e instanceof CliError || e instanceof DomainError) {
      process.stderr.write(`error: ${e.message}\n`);
      const details: unknown = e.details;
      if (Array.isArray(details)) for (const d of details) process.stderr.write(`  ${typeof d === 'object' ? JSON.stringify(d) : d}\n`);
      else if (details) process.stderr.write(`  ${JSON.stringify(details)}\n`);
      process.exit(e instanceof CliError ? e.exitCode : 1);
    }
    throw e;
  }
}
