// @ts-check
/** `truth --exp E --run R`: the generator's true constants for one run, shaped like the payloads' values. */
import { Flags } from '../lib/args.mjs';
import { trueConstants } from '../lib/truth.mjs';

/** @param {string[]} argv */
export async function run(argv) {
  const f = new Flags('truth', argv, { exp: 'string', run: 'string' });
  const exp = f.int('exp');
  const runNo = f.int('run');
  return { summary: { exp, run: runNo, constants: trueConstants(exp, runNo) } };
}
