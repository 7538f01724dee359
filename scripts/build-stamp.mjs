// The build stamp: which sources dist/ was compiled from. scripts/build.mjs lists src/ before compiling and writes
// each source file's path, mtime and size to dist/.build-stamp; bin/calibloop.js runs dist/ only while every listed
// file still has that mtime and size. That is one stat per source file and no directory walk: an edit in place
// changes only the file's own mtime (never its directory's), so nothing cheaper stays correct. A file added since is
// not listed, and needs not be: it only runs once a listed file imports it, and that file changed.
import { readdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';

const SOURCE = /\.(ts|mjs)$/;

/** Every source file under src/ (relative paths) with its mtime and size, as the build reads them. */
export function listSources(root) {
  const out = [];
  const walk = (rel) => {
    for (const e of readdirSync(join(root, rel), { withFileTypes: true })) {
      const p = `${rel}/${e.name}`;
      if (e.isDirectory()) walk(p);
      else if (SOURCE.test(e.name)) {
        const s = statSync(join(root, p));
        out.push([p, s.mtimeMs, s.size]);
      }
    }
  };
  walk('src');
  return out;
}

export function writeStamp(stampPath, sources) {
  writeFileSync(stampPath, JSON.stringify({ version: 1, builtAt: new Date().toISOString(), sources }) + '\n');
}

/** True while every source the stamp lists is unchanged (same mtime and size); false without a readable stamp. */
export function stampIsFresh(root, stampPath) {
  let stamp;
  try {
    stamp = JSON.parse(readFileSync(stampPath, 'utf8'));
  } catch {
    return false;
  }
  if (stamp?.version !== 1 || !Array.isArray(stamp.sources) || stamp.sources.length === 0) return false;
  const base = root + '/';
  for (const [path, mtimeMs, size] of stamp.sources) {
    const s = statSync(base + path, { throwIfNoEntry: false });
    if (!s || s.mtimeMs !== mtimeMs || s.size !== size) return false;
  }
  return true;
}
