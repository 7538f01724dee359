/**
 * Running update on the database: each rule refuses the update, changes nothing and names the IoV and the rule; an
 * allowed update closes, extends and adds in one transaction, writes history and audit, and bumps the tag version.
 */
import { describe, it, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { startTestApp, type TestApp } from '../helpers/app.ts';
import { conditions, MANAGER, type E } from '../helpers/conditions-fixtures.ts';
import { runningUpdate } from '../../src/services/conditions/running-update.ts';
import { setFirstConditionSafeRun } from '../../src/services/conditions/set-fcsr.ts';
import { DomainError } from '../../src/domain/errors.ts';

let app: TestApp;
let c: ReturnType<typeof conditions>;
let n = 0;
before(async () => {
  app = await startTestApp();
  c = conditions(app.deps);
});
after(async () => app.close());

/** A fresh RUNNING tag and VALIDATED staging tag. */
async function pair(running: E[], staging: E[]) {
  const id = ++n;
  await c.tag(`running_${id}`, 'running', running, 'RUNNING');
  await c.tag(`staging_${id}`, 'staging', staging, 'VALIDATED');
  return { running: `running_${id}`, staging: `staging_${id}` };
}

async function refusedWith(input: Parameters<typeof runningUpdate>[2], rule: string) {
  const before = await c.everything();
  await assert.rejects(
    () => runningUpdate(app.deps, MANAGER, input),
    (e: unknown) => {
      assert.ok(e instanceof DomainError, String(e));
      assert.equal(e.code, 'RULE_VIOLATION');
      const v = (e.details as { violations: Array<{ rule: string; iov?: { id: number }; name?: string }> }).violations;
      assert.ok(v.some((x) => x.rule === rule), `expected rule ${rule}, got ${v.map((x) => x.rule).join(', ')}`);
      return true;
    },
  );
  assert.equal(await c.everything(), before, 'a refused update changes nothing');
  const e = await runningUpdate(app.deps, MANAGER, input).catch((x: DomainError) => x);
  return (e as DomainError).details as { violations: Array<{ rule: string; iov?: { id: number; iov: string }; name?: string; message: string }> };
}

describe('running update on the database: each rule', () => {
  it('when the first valid run is below the recorded FCSR, then it is refused (below-fcsr)', async () => {
    const t = await pair([['A', 1, 0, 0, -1, -1]], [['A', 2, 0, 0, -1, -1]]);
    await setFirstConditionSafeRun(app.deps, MANAGER, { tag: t.running, exp: 1, run: 50 });
    const d = await refusedWith({ ...t, firstValid: { exp: 1, run: 49 } }, 'below-fcsr');
    assert.match(d.violations[0].message, /first condition-safe run 1,50/);
  });

  it('when a running IoV starts at or after the first valid run, then it is refused naming that IoV', async () => {
    const t = await pair([['A', 1, 0, 0, 0, -1], ['A', 2, 1, 10, -1, -1]], [['A', 3, 0, 0, -1, -1]]);
    const d = await refusedWith({ ...t, firstValid: { exp: 1, run: 10 } }, 'running-starts-at-or-after-first-valid-run');
    assert.equal(d.violations[0].iov?.iov, '1,10,-1,-1');
    assert.equal(d.violations[0].name, 'A');
  });

  it('when a closed running IoV ends at or after the first valid run, then it is refused naming that IoV', async () => {
    const t = await pair([['A', 1, 0, 0, 1, 20]], [['A', 2, 0, 0, -1, -1]]);
    const d = await refusedWith({ ...t, firstValid: { exp: 1, run: 10 } }, 'running-closed-ends-at-or-after-first-valid-run');
    assert.equal(d.violations[0].iov?.iov, '0,0,1,20');
  });

  it('when staging IoVs of a name overlap, then it is refused (staging-overlap)', async () => {
    // the staging tag may hold overlaps (allowed with allowOverlap); the running update refuses them
    await c.tag(`running_ov`, 'running', [['A', 1, 0, 0, -1, -1]], 'RUNNING');
    await c.payload('A', 3);
    const { createTag } = await import('../../src/services/conditions/create-tag.ts');
    const { addIovs } = await import('../../src/services/conditions/add-iov.ts');
    const { setTagState } = await import('../../src/services/conditions/set-tag-state.ts');
    await createTag(app.deps, MANAGER, { name: 'staging_ov', type: 'staging' });
    await addIovs(app.deps, MANAGER, {
      tag: 'staging_ov',
      allowOverlap: true,
      entries: [
        { payload: { name: 'A', revision: 2 }, iov: { firstExp: 0, firstRun: 0, finalExp: -1, finalRun: -1 } },
        { payload: { name: 'A', revision: 3 }, iov: { firstExp: 1, firstRun: 30, finalExp: -1, finalRun: -1 } },
      ],
    });
    for (const s of ['TESTING', 'VALIDATED'] as const) await setTagState(app.deps, MANAGER, { name: 'staging_ov', state: s });
    await refusedWith({ running: 'running_ov', staging: 'staging_ov', firstValid: { exp: 1, run: 10 } }, 'staging-overlap');
  });

  it('when staging IoVs of a name leave a gap, then it is refused (staging-gap)', async () => {
    const t = await pair([['A', 1, 0, 0, -1, -1]], [['A', 2, 1, 10, 1, 19], ['A', 3, 1, 25, -1, -1]]);
    const d = await refusedWith({ ...t, firstValid: { exp: 1, run: 10 } }, 'staging-gap');
    assert.equal(d.violations[0].iov?.iov, '1,25,-1,-1');
  });

  it('when a staging IoV starts before the first valid run (and not at 0,0), then it is refused', async () => {
    const t = await pair([['A', 1, 0, 0, -1, -1]], [['A', 2, 1, 5, -1, -1]]);
    const d = await refusedWith({ ...t, firstValid: { exp: 1, run: 10 } }, 'staging-starts-before-first-valid-run');
    assert.equal(d.violations[0].iov?.iov, '1,5,-1,-1');
  });

  it('when a staging IoV starting at 0,0 ends before the first valid run, then it is refused', async () => {
    const t = await pair([['A', 1, 0, 0, -1, -1]], [['A', 2, 0, 0, 1, 5]]);
    await refusedWith({ ...t, firstValid: { exp: 1, run: 10 }, mode: 'allow-closed' }, 'staging-ends-before-first-valid-run');
  });

  it('when the staging coverage is closed in strict mode, then it is refused (staging-not-open-ended)', async () => {
    const t = await pair([['A', 1, 0, 0, -1, -1]], [['A', 2, 0, 0, 1, 99]]);
    await refusedWith({ ...t, firstValid: { exp: 1, run: 10 } }, 'staging-not-open-ended');
  });

  it('when the tags are not RUNNING and VALIDATED, then it is refused (tag-state) and nothing changes', async () => {
    const id = ++n;
    await c.tag(`running_${id}`, 'running', [['A', 1, 0, 0, -1, -1]], 'OPEN');
    await c.tag(`staging_${id}`, 'staging', [['A', 2, 0, 0, -1, -1]], 'TESTING');
    const d = await refusedWith({ running: `running_${id}`, staging: `staging_${id}`, firstValid: { exp: 1, run: 10 } }, 'tag-state');
    assert.equal(d.violations.length, 2);
  });
});

describe('running update on the database: applying', () => {
  it('when it is allowed, then closes, extends and adds happen at once, with history, audit and a summary', async () => {
    const t = await pair(
      [['A', 1, 0, 0, -1, -1], ['B', 1, 0, 0, -1, -1], ['C', 1, 0, 0, -1, -1]],
      [['A', 2, 0, 0, -1, -1], ['B', 1, 0, 0, -1, -1], ['D', 1, 1, 12, -1, -1]],
    );
    const versionBefore = (await app.deps.prisma.globalTag.findUniqueOrThrow({ where: { name: t.running } })).version;
    const s = await runningUpdate(app.deps, MANAGER, { ...t, firstValid: { exp: 1, run: 10 }, reason: 'bucket 3' });
    assert.equal(s.applied, true);
    assert.deepEqual(s.counts, { closed: 1, extended: 1, added: 2 });
    assert.deepEqual(s.nextFirstValid, { exp: 1, run: 13 });
    assert.deepEqual(await c.live(t.running), ['A r1 0,0,1,9', 'A r2 1,10,-1,-1', 'B r1 0,0,-1,-1', 'C r1 0,0,-1,-1', 'D r1 1,12,-1,-1']);
    const tag = await app.deps.prisma.globalTag.findUniqueOrThrow({ where: { name: t.running } });
    assert.ok(tag.version > versionBefore);
    const events = await app.deps.prisma.tagEvent.findMany({ where: { tagId: tag.id }, orderBy: { id: 'asc' } });
    const kinds = events.map((e) => e.kind);
    assert.ok(kinds.includes('iov.close') && kinds.includes('iov.extend') && kinds.filter((k) => k === 'iov.insert').length >= 2 && kinds.includes('runningupdate'));
    assert.ok(events.filter((e) => e.kind === 'runningupdate').every((e) => e.reason === 'bucket 3' && e.actor === MANAGER.user));
    const audit = await app.deps.prisma.auditEvent.findMany({ where: { action: 'tag.runningupdate', targetId: t.running } });
    assert.equal(audit.length, 1);
    // the closed row was removed and re-inserted, never rewritten
    const all = await app.deps.prisma.iov.findMany({ where: { tagId: tag.id, name: 'A' }, orderBy: { id: 'asc' } });
    assert.equal(all.length, 3);
    assert.equal(all[0].finalExp, -1);
    assert.ok(all[0].removedAt);
  });

  it('when a second update comes below the first one, then it is refused; at the next possible run it applies', async () => {
    const t = await pair([['A', 1, 0, 0, -1, -1]], [['A', 2, 0, 0, -1, -1]]);
    await runningUpdate(app.deps, MANAGER, { ...t, firstValid: { exp: 2, run: 0 } });
    const id = ++n;
    await c.tag(`staging_${id}`, 'staging', [['A', 3, 0, 0, -1, -1]], 'VALIDATED');
    await refusedWith({ running: t.running, staging: `staging_${id}`, firstValid: { exp: 1, run: 500 } }, 'running-starts-at-or-after-first-valid-run');
    const s = await runningUpdate(app.deps, MANAGER, { running: t.running, staging: `staging_${id}`, firstValid: { exp: 2, run: 1 } });
    assert.equal(s.applied, true);
    assert.deepEqual(await c.live(t.running), ['A r1 0,0,1,-1', 'A r2 2,0,2,0', 'A r3 2,1,-1,-1']);
  });

  it('when dryRun is asked, then the plan comes back and nothing changes', async () => {
    const t = await pair([['A', 1, 0, 0, -1, -1]], [['A', 2, 0, 0, -1, -1]]);
    const before = await c.everything();
    const s = await runningUpdate(app.deps, MANAGER, { ...t, firstValid: { exp: 1, run: 10 }, dryRun: true });
    assert.equal(s.applied, false);
    assert.deepEqual(s.counts, { closed: 1, extended: 0, added: 1 });
    assert.equal(await c.everything(), before);
  });

  it('when full-replacement is chosen, then open IoVs of names absent from staging are closed too', async () => {
    const t = await pair([['A', 1, 0, 0, -1, -1], ['B', 1, 0, 0, -1, -1]], [['A', 2, 0, 0, -1, -1]]);
    await runningUpdate(app.deps, MANAGER, { ...t, firstValid: { exp: 1, run: 10 }, mode: 'full-replacement' });
    assert.deepEqual(await c.live(t.running), ['A r1 0,0,1,9', 'A r2 1,10,-1,-1', 'B r1 0,0,1,9']);
  });

  it('when fix-closed is chosen, then the last staging IoV is opened in the running tag', async () => {
    const t = await pair([['A', 1, 0, 0, -1, -1]], [['A', 2, 0, 0, 1, 99]]);
    await runningUpdate(app.deps, MANAGER, { ...t, firstValid: { exp: 1, run: 10 }, mode: 'fix-closed' });
    assert.deepEqual(await c.live(t.running), ['A r1 0,0,1,9', 'A r2 1,10,-1,-1']);
  });

  it('when allow-closed retires a payload, then its coverage ends where the staging IoV ends', async () => {
    const t = await pair([['A', 1, 0, 0, -1, -1]], [['A', 2, 0, 0, 1, 99]]);
    await runningUpdate(app.deps, MANAGER, { ...t, firstValid: { exp: 1, run: 10 }, mode: 'allow-closed' });
    assert.deepEqual(await c.live(t.running), ['A r1 0,0,1,9', 'A r2 1,10,1,99']);
  });
});
