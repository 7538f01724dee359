// @ts-check
/**
 * Dispatches `b2sim <command> ...` to commands/<command>.mjs (loaded lazily to keep start-up short), prints the one
 * JSON summary line on stdout and turns errors into exit codes (lib/errors.mjs).
 */
import { classify, EXIT, UsageError } from './errors.mjs';

/** @typedef {{ summary: object, exitCode?: number }} CommandResult */

export const COMMANDS = Object.freeze({
  truth: '../commands/truth.mjs',
  daq: '../commands/daq.mjs',
  generate: '../commands/generate.mjs',
  skim: '../commands/skim.mjs',
  cdst: '../commands/cdst.mjs',
  mdst: '../commands/mdst.mjs',
  calibrate: '../commands/calibrate.mjs',
  stress: '../commands/stress.mjs',
});

const USAGE = `usage: b2sim <command> [--flag value ...]
commands: ${Object.keys(COMMANDS).join(', ')}   (see toolkit/README.md and docs/contracts.md)`;

/**
 * @param {string[]} argv without node and script
 * @returns {Promise<number>} exit code
 */
export async function main(argv) {
  const [command, ...rest] = argv;
  if (!command || command === '--help' || command === 'help') {
    process.stderr.write(`${USAGE}\n`);
    return command ? EXIT.OK : EXIT.USAGE;
  }
  const modulePath = /** @type {Record<string, string>} */ (COMMANDS)[command];
  if (!modulePath) {
    process.stderr.write(`${USAGE}\n`);
    return fail(command, new UsageError(`unknown command "${command}"`));
  }
  try {
    const mod = await import(modulePath);
    /** @type {CommandResult} */
    const result = await mod.run(rest);
    if (process.env.B2SIM_CPU_REPORT) {
      // For toolkit/pipeline-bench.mjs: CPU time of the whole process (start-up included), independent of the load.
      const u = process.cpuUsage();
      process.stderr.write(`b2sim-cpu-ms ${Math.round((u.user + u.system) / 1000)}\n`);
    }
    process.stdout.write(`${JSON.stringify(result.summary)}\n`);
    return result.exitCode ?? EXIT.OK;
  } catch (err) {
    return fail(command, err);
  }
}

/**
 * @param {string} command @param {unknown} err
 */
function fail(command, err) {
  const c = classify(err);
  process.stderr.write(`b2sim ${command}: ${c.message}\n`);
  if (c.kind === 'software' && err instanceof Error && err.stack) process.stderr.write(`${err.stack}\n`);
  process.stdout.write(`${JSON.stringify({ error: { kind: c.kind, message: c.message }, exitCode: c.exitCode })}\n`);
  return c.exitCode;
}
