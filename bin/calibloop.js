#!/usr/bin/env node
// calibloop's executable. It runs the compiled JavaScript in dist/ (built by `npm ci`/`npm install` through the
// postinstall script, or `npm run build`), so a command starts in a fraction of a second. When dist/ is missing or a
// source file changed since the build (a developer editing src/: the build stamp, scripts/build-stamp.mjs), it runs
// the TypeScript sources through tsx instead: slower, never stale.
import { existsSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { stampIsFresh } from '../scripts/build-stamp.mjs';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');

function compiledIsFresh() {
  return process.env.CALIBLOOP_FROM_SOURCES !== '1' && stampIsFresh(root, join(root, 'dist', '.build-stamp'));
}

if (compiledIsFresh()) {
  const { main } = await import('../dist/cli/main.js');
  await main();
} else {
  if (process.stderr.isTTY && existsSync(join(root, 'dist'))) process.stderr.write('calibloop: src/ changed since the last build (npm run build); running the sources through tsx\n');
  const { register } = await import('tsx/esm/api');
  register();
  const { main } = await import('../src/cli/main.ts');
  await main();
}
