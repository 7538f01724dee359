#!/usr/bin/env node
// Compiles src/ to dist/ (plain JavaScript, no type check: `npm run typecheck` does that) so the CLI and the server
// start without transpiling. Run by postinstall after the Prisma client is generated; bin/calibloop.js falls back to
// the sources when one of them changed since (the stamp: scripts/build-stamp.mjs).
import { spawnSync } from 'node:child_process';
import { copyFileSync, existsSync, mkdirSync, rmSync } from 'node:fs';
import { join, dirname } from 'node:path';
import { fileURLToPath } from 'node:url';
import { listSources, writeStamp } from './build-stamp.mjs';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const stamp = join(root, 'dist', '.build-stamp');
rmSync(stamp, { force: true });
const tsc = join(root, 'node_modules', 'typescript', 'bin', 'tsc');
if (!existsSync(tsc)) {
  // an install without devDependencies: the CLI runs the sources through tsx instead (slower start, same behaviour)
  console.error('calibloop: typescript is not installed; dist/ not built (bin/calibloop.js runs the sources)');
  process.exit(0);
}
const started = Date.now();
// listed before compiling: a file edited while tsc runs no longer matches its entry, so dist/ counts as stale
const sources = listSources(root);
const r = spawnSync(process.execPath, [tsc, '-p', join(root, 'tsconfig.build.json')], { cwd: root, stdio: 'inherit' });
if (r.status !== 0) process.exit(r.status ?? 1);
// Files the compiled code reads next to itself.
for (const f of ['executors/local-job-wrapper.mjs']) {
  mkdirSync(dirname(join(root, 'dist', f)), { recursive: true });
  copyFileSync(join(root, 'src', f), join(root, 'dist', f));
}
writeStamp(stamp, sources);
console.error(`calibloop: built dist/ in ${((Date.now() - started) / 1000).toFixed(1)} s`);
