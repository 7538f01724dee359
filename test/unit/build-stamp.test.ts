/**
 * The build stamp bin/calibloop.js trusts to run dist/ instead of the sources: on a real directory tree, an edit in
 * place (same directory mtime), a same-size edit, a deleted source and a missing or old-format stamp all make dist/
 * stale; a file added since (imported by nothing that changed) does not.
 */
import { test, type TestContext } from 'node:test';
import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, rmSync, statSync, utimesSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { listSources, stampIsFresh, writeStamp } from '../../scripts/build-stamp.mjs';

/** A source tree with a fresh stamp, removed when the test ends. */
function tree(ctx: TestContext) {
  const root = mkdtempSync(join(tmpdir(), 'calibloop-stamp-'));
  mkdirSync(join(root, 'src', 'cli'), { recursive: true });
  mkdirSync(join(root, 'dist'));
  writeFileSync(join(root, 'src', 'main.ts'), 'export const a = 1;\n');
  writeFileSync(join(root, 'src', 'cli', 'wrapper.mjs'), 'export const b = 2;\n');
  writeFileSync(join(root, 'src', 'notes.md'), 'not a source\n');
  const stamp = join(root, 'dist', '.build-stamp');
  writeStamp(stamp, listSources(root));
  ctx.after(() => rmSync(root, { recursive: true, force: true }));
  return { root, stamp };
}

test('when nothing changed since the build, then dist/ is fresh and the stamp lists exactly the sources', (ctx) => {
  const t = tree(ctx);
  assert.deepEqual(listSources(t.root).map((s) => s[0]).sort(), ['src/cli/wrapper.mjs', 'src/main.ts']);
  assert.equal(stampIsFresh(t.root, t.stamp), true);
});

test('when a source is edited in place, then dist/ is stale though no directory changed', (ctx) => {
  const t = tree(ctx);
  const dir = statSync(join(t.root, 'src', 'cli')).mtimeMs;
  const f = join(t.root, 'src', 'cli', 'wrapper.mjs');
  writeFileSync(f, 'export const b = 3;\n'); // same size
  const later = new Date(statSync(f).mtimeMs + 5000);
  utimesSync(f, later, later);
  assert.equal(statSync(join(t.root, 'src', 'cli')).mtimeMs, dir, 'the directory mtime did not move');
  assert.equal(stampIsFresh(t.root, t.stamp), false);
  writeStamp(t.stamp, listSources(t.root));
  assert.equal(stampIsFresh(t.root, t.stamp), true, 'a new build is fresh again');
});

test('when a source gets an older mtime (a tree copied with its times), then dist/ is stale too', (ctx) => {
  const t = tree(ctx);
  const f = join(t.root, 'src', 'main.ts');
  utimesSync(f, new Date('2020-01-01T00:00:00Z'), new Date('2020-01-01T00:00:00Z'));
  assert.equal(stampIsFresh(t.root, t.stamp), false);
});

test('when a source is deleted, then dist/ is stale; when one is added, it is not', (ctx) => {
  const t = tree(ctx);
  writeFileSync(join(t.root, 'src', 'added.ts'), 'export {};\n');
  assert.equal(stampIsFresh(t.root, t.stamp), true, 'nothing listed imports it');
  rmSync(join(t.root, 'src', 'main.ts'));
  assert.equal(stampIsFresh(t.root, t.stamp), false);
});

test('when the stamp is missing, unreadable or of the old format, then dist/ is stale', (ctx) => {
  const t = tree(ctx);
  writeFileSync(t.stamp, '2026-12-01T09:00:00.000Z\n');
  assert.equal(stampIsFresh(t.root, t.stamp), false);
  writeFileSync(t.stamp, JSON.stringify({ version: 1, sources: [] }));
  assert.equal(stampIsFresh(t.root, t.stamp), false);
  rmSync(t.stamp);
  assert.equal(stampIsFresh(t.root, t.stamp), false);
});
