#!/usr/bin/env node
// calibloop's executable. It runs the compiled JavaScript in dist/ (built by `npm ci`/`npm install` through the
// postinstall script, or `npm run build`), so a command starts in a fraction of a second. When dist/ is missing or
// older than a source file (a developer editing src/), it runs the TypeScript sources through tsx instead: slower,
// never stale.
import { existsSync, readdirSync, statSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const stamp = join(root, 'dist', '.build-stamp');

function newestSource(dir) {
  let newest = 0;
  for (const e of readdirSync(dir, { withFileTypes: true })) {
    const p = join(dir, e.name);
    if (e.isDirectory()) newest = Math.max(newest, newestSource(p));
    else if (e.name.endsWith('.ts') || e.name.endsWith('.mjs')) newest = Math.max(newest, statSync(p).mtimeMs);
  }
  return newest;
}

function compiledIsFresh() {
  if (process.env.CALIBLOOP_FROM_SOURCES === '1' || !existsSync(stamp)) return false;
  return statSync(stamp).mtimeMs >= newestSource(join(root, 'src'));
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
