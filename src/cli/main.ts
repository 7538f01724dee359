/**
 * calibloop's command line, in the manner of b2conditionsdb/conddb: `calibloop <area> <verb>`, `--json` everywhere.
 */
import { Command, CommanderError } from 'commander';
import { CliError } from '../clients/api-client.ts';
import { DomainError } from '../domain/errors.ts';
import { EXIT, exitCodeFor, type ExitCode } from './exit-codes.ts';
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
    .option('--json', 'machine-readable output; errors too, as {"error": {code, message, details}} on stdout')
    .addHelpText('after', '\nExit codes: 0 ok, 1 failed, 2 usage/invalid input, 3 not found, 4 no token/forbidden, 5 conflict/rule refused, 6 server error/unreachable (docs/cli.md).')
    .showHelpAfterError('(calibloop --help lists the commands; calibloop <command> --help its options)');
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
  const json = argv.slice(2).includes('--json');
  const program = buildProgram();
  // Commander's own refusals (unknown option, missing argument) become usage errors like ours, JSON under --json.
  const quietUnderJson = (c: Command) => {
    c.exitOverride();
    if (json) c.configureOutput({ writeErr: () => undefined, outputError: () => undefined });
    c.commands.forEach(quietUnderJson);
  };
  quietUnderJson(program);
  try {
    await program.parseAsync(argv);
  } catch (e) {
    const failure = describeFailure(e);
    if (!failure) return; // --help, --version
    if (json) process.stdout.write(JSON.stringify({ error: { code: failure.code, message: failure.message, details: failure.details ?? null } }, null, 2) + '\n');
    else if (!(e instanceof CommanderError)) {
      process.stderr.write(`error: ${failure.message}\n`);
      for (const line of detailLines(failure.details)) process.stderr.write(`  ${line}\n`);
    }
    process.exit(failure.exit);
  }
}

/** Details under a text error, one per line; a 404's suggestions are already in its message ("did you mean …?"). */
function detailLines(details: unknown): string[] {
  if (Array.isArray(details)) return details.map((d) => (typeof d === 'object' ? JSON.stringify(d) : String(d)));
  if (!details || typeof details !== 'object') return details ? [String(details)] : [];
  const onlySuggestions = Object.keys(details).every((k) => k === 'suggestions');
  return onlySuggestions ? [] : [JSON.stringify(details)];
}

interface Failure {
  code: string;
  message: string;
  details?: unknown;
  exit: ExitCode;
}

function describeFailure(e: unknown): Failure | undefined {
  if (e instanceof CliError) return { code: e.code, message: e.message, details: e.details, exit: e.exitCode };
  if (e instanceof DomainError) return { code: e.code, message: e.message, details: e.details, exit: exitCodeFor(e.code) };
  if (e instanceof CommanderError) {
    if (e.exitCode === 0) return undefined; // --help, --version
    return { code: 'INVALID_INPUT', message: e.message.replace(/^error: /, ''), details: [{ commander: e.code }], exit: EXIT.USAGE };
  }
  const err = e as Error;
  return { code: 'INTERNAL', message: err?.message ?? String(e), exit: EXIT.FAILED };
}
