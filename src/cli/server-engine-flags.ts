/**
 * V8 settings of the long-running server process (`calibloop serve`), set before anything compiles WebAssembly.
 *
 * `--liftoff-only`: WebAssembly runs on V8's baseline compiler only. Prisma's query compiler is a 3.4 MB wasm module;
 * by default V8 also recompiles it with its optimising compiler on background threads, whose scratch memory (~60 MB
 * at the first query, V8's `peak_malloced_memory`) stays in glibc's per-thread malloc arenas for the life of the
 * process: measured on PostgreSQL, the same queries leave the process at 209 MB RSS by default against 141 MB with
 * this flag (bench/support/mem-probe.mjs, `npm run bench -- bucket --runs N`). The wasm is not on the hot path
 * (Prisma caches query plans by shape), and the same loop of queries ran no slower with it. On the embedded database
 * PGlite's PostgreSQL is wasm too and would run slower on the baseline compiler, so the flag is set on PostgreSQL only.
 *
 * Only for the server process: the CLI's short commands and the tests (which start apps in their own process) keep
 * V8's defaults.
 */
import v8 from 'node:v8';

export function applyServerEngineFlags(opts: { postgres: boolean }): string[] {
  const flags = opts.postgres ? ['--liftoff-only'] : [];
  for (const f of flags) v8.setFlagsFromString(f);
  return flags;
}
