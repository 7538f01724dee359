/**
 * The CLI's one grammar for values: integers, runs as `E,R` (also `--exp E --run R`), IoVs as `E1,R1,E2,R2`. Every
 * refusal names the option and exits with the usage code (src/cli/exit-codes.ts). As commander option parsers they
 * throw InvalidArgumentError, which commander prefixes with the option; called on positional arguments they are
 * given the argument's name.
 */
import { InvalidArgumentError } from 'commander';
import { parseIov, parsePoint, type Iov, type RunPoint } from '../domain/iov.ts';
import { usageError } from '../clients/api-client.ts';

function refuse(option: string | undefined, message: string): never {
  if (option) throw usageError(option, message);
  throw new InvalidArgumentError(message);
}

/** An integer, as a commander option parser: `.option('--exp <n>', 'experiment', int)`. */
export function int(text: string): number {
  return intArg(text);
}

/** An integer given in an argument or option the message names. */
export function intArg(text: string, option?: string): number {
  if (!/^-?\d+$/.test(String(text).trim())) refuse(option, `"${text}" is not an integer`);
  return Number(text);
}

/** A run, strictly `E,R`: `12,345`. */
export function runPoint(text: string, option?: string): RunPoint {
  try {
    return parsePoint(text);
  } catch (e) {
    return refuse(option, (e as Error).message);
  }
}

export function iovValue(text: string, option?: string): Iov {
  try {
    return parseIov(text);
  } catch (e) {
    return refuse(option, (e as Error).message);
  }
}

/**
 * A run given as `--run E,R`, or as `--exp E --run R` where that reads better. Returns undefined when neither is
 * given; refuses half a run or both spellings at once.
 */
export function runFromOptions(o: { exp?: string; run?: string }, required = false): RunPoint | undefined {
  if (o.run === undefined) {
    if (o.exp !== undefined) refuse('--run', 'give the run too: --run E,R (or --exp E --run R)');
    if (required) refuse('--run', 'give the run as --run E,R (or --exp E --run R)');
    return undefined;
  }
  if (o.exp === undefined) return runPoint(o.run, '--run');
  if (o.run.includes(',')) refuse('--run', `with --exp give only the run number, or drop --exp and write --run E,R (got "${o.run}")`);
  return { exp: intArg(o.exp, '--exp'), run: intArg(o.run, '--run') };
}
