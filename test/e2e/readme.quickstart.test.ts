/**
 * The README and docs say what the product does:
 * - every `calibloop …` command line in README.md and docs/*.md names a command that exists, with options it knows and
 *   the options it requires (so a doc cannot show `bucket recover` without its `--reason`);
 * - the README's second-terminal quick start runs as written (through a `calibloop` on PATH, as `npm link` installs
 *   it) against a real server, every command exiting 0, with CALIBLOOP_URL exported as the demo prints it;
 * - the demo's printout uses the same `calibloop …` commands as the README.
 */
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { mkdtempSync, readdirSync, readFileSync, rmSync, symlinkSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Command, Option } from 'commander';
import { buildProgram } from '../../src/cli/main.ts';
import { ROOT_DIR } from '../../src/db/paths.ts';
import { startTestApp, type TestApp } from '../helpers/app.ts';
import { seedBucket, ensureRunningTag } from '../helpers/loop-fixtures.ts';

const README = readFileSync(join(ROOT_DIR, 'README.md'), 'utf8');
const DOCS = readdirSync(join(ROOT_DIR, 'docs'))
  .filter((f) => f.endsWith('.md'))
  .map((f) => ({ file: `docs/${f}`, text: readFileSync(join(ROOT_DIR, 'docs', f), 'utf8') }));

/** Command lines inside fenced code blocks, continuation lines joined, comments and prompts removed. */
function commandLines(text: string): string[] {
  const out: string[] = [];
  for (const block of text.matchAll(/```[a-z]*\n([\s\S]*?)```/g)) {
    const joined = block[1].replace(/\\\n\s*/g, ' ');
    for (const raw of joined.split('\n')) {
      const line = raw.replace(/^\s*\$\s*/, '').replace(/\s+#.*$/, '').trim();
      if (/^calibloop\s/.test(line)) out.push(line);
    }
  }
  return out;
}

/** Splits like a shell would for these lines: quotes group, $VAR and <placeholders> stay words. */
function words(line: string): string[] {
  return [...line.matchAll(/"([^"]*)"|'([^']*)'|(\S+)/g)].map((m) => m[1] ?? m[2] ?? m[3]);
}

function check(line: string): string | undefined {
  const program = buildProgram();
  const args = words(line).slice(1);
  let cmd: Command = program;
  let i = 0;
  const globals = program.options as readonly Option[];
  while (i < args.length) {
    if (args[i].startsWith('-')) {
      // a global option before the command
      const o = globals.find((g) => g.long === args[i].split('=')[0]);
      if (!o) break;
      i += o.required || o.optional ? 2 : 1;
      continue;
    }
    const sub = cmd.commands.find((c) => c.name() === args[i] || c.aliases().includes(args[i]));
    if (!sub) break;
    cmd = sub;
    i++;
  }
  if (cmd === program) return `unknown command: ${line}`;
  if (cmd.commands.length > 0 && !(cmd as unknown as { _actionHandler?: unknown })._actionHandler) return `"${cmd.name()}" needs a subcommand: ${line}`;
  const known = [...(cmd.options as readonly Option[]), ...globals];
  const given = new Set<string>();
  for (const a of args.slice(i)) {
    if (!a.startsWith('--')) continue;
    const flag = a.split('=')[0];
    if (flag === '--help') continue;
    const o = known.find((k) => k.long === flag || k.negate && k.long === flag);
    if (!o) return `unknown option ${flag} for "${cmd.name()}": ${line}`;
    given.add(o.long!);
  }
  for (const o of cmd.options as readonly Option[]) {
    if (o.mandatory && !given.has(o.long!)) return `missing required ${o.long} for "${cmd.name()}": ${line}`;
  }
  return undefined;
}

test('when the README and docs show calibloop commands, then each exists with the options it knows and requires', () => {
  const lines = [{ file: 'README.md', text: README }, ...DOCS].flatMap((d) => commandLines(d.text).map((l) => ({ file: d.file, line: l })));
  assert.ok(lines.length > 50, `found ${lines.length} command lines`);
  // the check itself refuses what the issue found in the docs
  assert.match(check('calibloop bucket recover e12_bucket8') ?? '', /missing required --reason/);
  assert.match(check('calibloop tag lisst') ?? '', /needs a subcommand|unknown/);
  assert.match(check('calibloop iov list t --bogus') ?? '', /unknown option --bogus/);
  const problems = lines.map((l) => ({ ...l, problem: check(l.line) })).filter((l) => l.problem).map((l) => `${l.file}: ${l.problem}`);
  assert.deepEqual(problems, []);
});

test('when the README and docs name the CLI, then it is `calibloop` (installed once with npm link), never npx or node bin/…', () => {
  for (const d of [{ file: 'README.md', text: README }, ...DOCS]) {
    assert.doesNotMatch(d.text, /npx calibloop/, `${d.file} says npx calibloop`);
    assert.doesNotMatch(d.text, /node bin\/calibloop\.js (?!serve|demo)/, `${d.file} says node bin/calibloop.js`);
  }
  assert.match(README, /npm link/);
});

let app: TestApp;
let bin: string;
before(async () => {
  app = await startTestApp();
  await seedBucket(app.deps.prisma, { firstRun: 1, lastRun: 4, stage: 'producing' });
  await ensureRunningTag(app.deps);
  // what `npm link` does: a `calibloop` on PATH pointing at bin/calibloop.js
  bin = mkdtempSync(join(tmpdir(), 'calibloop-bin-'));
  symlinkSync(join(ROOT_DIR, 'bin', 'calibloop.js'), join(bin, 'calibloop'));
});
after(async () => {
  await app.close();
  rmSync(bin, { recursive: true, force: true });
});

function secondTerminalBlock(): string {
  const at = README.indexOf('Then, in another terminal:');
  assert.ok(at > 0, 'the README has the second-terminal block');
  const m = /```sh\n([\s\S]*?)```/.exec(README.slice(at));
  assert.ok(m);
  return m[1];
}

test('when the README quick start is run in a second terminal, then every command succeeds against a running server', async () => {
  const block = secondTerminalBlock();
  assert.match(block, /export CALIBLOOP_URL=http:\/\/localhost:8080/, 'the block tells the CLI where the server is');
  assert.match(block, /export CALIBLOOP_TOKEN=/);
  const token = await app.tokenFor('calibration_manager');
  const port = new URL(app.url).port;
  const script = block.replace(/<the token the demo printed>/g, token).replace(/localhost:8080/g, `127.0.0.1:${port}`);
  const commands = script.split('\n').filter((l) => l.trim() && !l.trim().startsWith('#'));
  assert.ok(commands.filter((c) => c.startsWith('calibloop ')).length >= 4);
  const run = (shell: string) =>
    new Promise<{ code: number; out: string; err: string }>((resolve) =>
      execFile('bash', ['-c', `set -euo pipefail\n${shell}`], { env: { ...process.env, PATH: `${bin}:${process.env.PATH}`, CALIBLOOP_URL: '', CALIBLOOP_TOKEN: '' } }, (e, out, err) =>
        resolve({ code: e ? Number((e as { code?: number }).code ?? 1) : 0, out, err }),
      ),
    );
  const exports = commands.filter((c) => c.startsWith('export ')).join('\n');
  for (const c of commands.filter((x) => !x.startsWith('export '))) {
    const r = await run(`${exports}\n${c} > /tmp/calibloop-readme-$$.out; test -s /tmp/calibloop-readme-$$.out; cat /tmp/calibloop-readme-$$.out; rm -f /tmp/calibloop-readme-$$.out`);
    assert.equal(r.code, 0, `${c}\n${r.err}`);
  }
});

test("when the demo prints where to look, then its commands are the README's calibloop commands", async () => {
  const { lookAroundCommands } = await import('../../src/services/demo/run-demo.ts');
  const printed = lookAroundCommands('demo-manager');
  assert.ok(printed.every((c: string) => c.startsWith('calibloop ')), printed.join('\n'));
  for (const c of printed) assert.equal(check(c), undefined, c);
  assert.ok(printed.includes('calibloop tag list') || printed.includes('calibloop bucket list'));
});
