/** Where every benchmark writes its numbers: bench/results/<file>, pretty JSON with a final newline. */
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { ROOT_DIR } from '../../src/db/paths.ts';

export const RESULTS_DIR = join(ROOT_DIR, 'bench', 'results');

/** Writes `result` to bench/results/`file` and returns the path. */
export function writeResult(file: string, result: unknown): string {
  mkdirSync(RESULTS_DIR, { recursive: true });
  const path = join(RESULTS_DIR, file);
  writeFileSync(path, JSON.stringify(result, null, 2) + '\n');
  return path;
}
