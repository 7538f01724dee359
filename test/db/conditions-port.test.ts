/**
 * The one conditions port: its local-database export (used by calibration, the loop and production planning) is
 * atomic, leaves out tags that do not exist yet, and refuses an INVALID tag exactly as resolve does; the port's resolve
 * gives the same payloads as the resolve service; walking a tag follows the legal path.
 */
import { describe, it, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, mkdtempSync, readFileSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startTestApp, type TestApp } from '../helpers/app.ts';
import { conditions, MANAGER } from '../helpers/conditions-fixtures.ts';
import { conditionsPort } from '../../src/services/conditions/store-conditions.ts';
import { resolveChain } from '../../src/services/conditions/resolve-chain.ts';
import { prepareLocalDb } from '../../src/services/production/plan-production.ts';

let app: TestApp;
let c: ReturnType<typeof conditions>;
let root: string;
before(async () => {
  app = await startTestApp();
  c = conditions(app.deps);
  root = mkdtempSync(join(tmpdir(), 'calibloop-port-'));
});
after(async () => {
  await app.close();
  rmSync(root, { recursive: true, force: true });
});

const lines = (dir: string) => readFileSync(join(dir, 'database.txt'), 'utf8').split('\n').filter((l) => l && !l.startsWith('#'));

describe('conditions port', () => {
  it('when a chain is exported, then missing tags are left out, the result is renamed into place and reuse keeps it', async () => {
    await c.tag('cp_fix', 'auxiliary', [['BeamSpot', 2, 1, 5, 1, 7]]);
    await c.tag('cp_base', 'release', [['BeamSpot', 1, 0, 0, -1, -1], ['ECLGain', 1, 0, 0, -1, -1]], 'PUBLISHED');
    const port = conditionsPort(app.deps);
    const dir = join(root, 'chain');
    const out = await port.exportLocalDb({ chain: ['cp_missing', 'cp_fix', 'cp_base'], dir });
    assert.equal(out.entries, 4);
    assert.ok(lines(dir).includes('dbstore/BeamSpot 2 1,5,1,7'));
    assert.deepEqual(readdirSync(root).filter((n) => n.includes('.tmp-')), [], 'no temporary directory left behind');
    const again = await port.exportLocalDb({ chain: ['cp_missing', 'cp_fix', 'cp_base'], dir, reuse: true });
    assert.equal(again.entries, -1, 'reused');
    const empty = await port.exportLocalDb({ chain: ['cp_none'], dir: join(root, 'empty') });
    assert.equal(empty.entries, 0);
    assert.deepEqual(lines(join(root, 'empty')), []);
  });

  it('when a chain holds an INVALID tag, then export (every caller) and resolve refuse it the same way and nothing is written', async () => {
    await c.tag('cp_dead', 'release', [['BeamSpot', 1, 0, 0, -1, -1]], 'INVALID');
    const port = conditionsPort(app.deps);
    const refusal = await resolveChain(app.deps, { tags: ['cp_dead', 'cp_base'], exp: 1, run: 1 }).then(
      () => assert.fail('resolve served an INVALID tag'),
      (e) => e,
    );
    assert.equal(refusal.code, 'RULE_VIOLATION');
    await assert.rejects(port.exportLocalDb({ chain: ['cp_dead', 'cp_base'], dir: join(root, 'dead') }), { code: refusal.code, message: refusal.message });
    await assert.rejects(port.resolve(['cp_dead', 'cp_base'], 1, 1), { code: refusal.code, message: refusal.message });
    await assert.rejects(prepareLocalDb(app.deps, ['cp_dead', 'cp_base'], join(root, 'prod')), { code: refusal.code });
    assert.equal(existsSync(join(root, 'dead')), false);
    assert.equal(existsSync(join(root, 'prod')), false);
  });

  it('when the port resolves a chain, then it gives what the resolve service gives', async () => {
    const port = conditionsPort(app.deps);
    const mine = await port.resolve(['cp_fix', 'cp_base'], 1, 6);
    const theirs = await resolveChain(app.deps, { tags: ['cp_fix', 'cp_base'], exp: 1, run: 6 });
    assert.deepEqual(mine.map((r) => `${r.name}@${r.revision}`), ['BeamSpot@2', 'ECLGain@1']);
    assert.deepEqual(mine.map((r) => `${r.name}@${r.revision}`), theirs.payloads.map((p) => `${p.name}@${p.revision}`).sort());
  });

  it('when a tag is walked to VALIDATED, then it passes TESTING on the way', async () => {
    const port = conditionsPort(app.deps);
    await c.tag('cp_walk', 'staging', []);
    await port.walkTagTo({ tag: 'cp_walk', state: 'VALIDATED', actor: MANAGER, reason: 'test' });
    assert.equal(await port.tagState('cp_walk'), 'VALIDATED');
    const states = await app.deps.prisma.tagEvent.findMany({ where: { kind: 'state', tag: { name: 'cp_walk' } }, orderBy: { id: 'asc' } });
    assert.deepEqual(states.map((e) => (e.details as { to: string }).to), ['TESTING', 'VALIDATED']);
  });
});
