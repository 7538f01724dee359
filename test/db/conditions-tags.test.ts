/**
 * Global tags on the database: state transitions with history and audit, rename, clone, snapshot (named or by the
 * bucket pattern), merge by priority, ensureTag, FCSR and IoV edits only where the state allows.
 */
import { describe, it, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { startTestApp, type TestApp } from '../helpers/app.ts';
import { conditions, MANAGER } from '../helpers/conditions-fixtures.ts';
import { setTagState } from '../../src/services/conditions/set-tag-state.ts';
import { renameTag } from '../../src/services/conditions/rename-tag.ts';
import { cloneTag } from '../../src/services/conditions/clone-tag.ts';
import { snapshotTag } from '../../src/services/conditions/snapshot-tag.ts';
import { mergeTags } from '../../src/services/conditions/merge-tags.ts';
import { ensureTag, createTag } from '../../src/services/conditions/create-tag.ts';
import { setFirstConditionSafeRun } from '../../src/services/conditions/set-fcsr.ts';
import { addIov } from '../../src/services/conditions/add-iov.ts';
import { modifyIov } from '../../src/services/conditions/modify-iov.ts';
import { deleteIov } from '../../src/services/conditions/delete-iov.ts';
import { tagHistory } from '../../src/services/conditions/tag-history.ts';
import { resolveChain } from '../../src/services/conditions/resolve-chain.ts';
import { inTransaction } from '../../src/db/transaction.ts';
import { DomainError } from '../../src/domain/errors.ts';

let app: TestApp;
let c: ReturnType<typeof conditions>;
before(async () => {
  app = await startTestApp();
  c = conditions(app.deps);
});
after(async () => app.close());

const code = (expected: string) => (e: unknown) => e instanceof DomainError && e.code === expected;

describe('tag states on the database', () => {
  it('when a tag goes OPEN -> TESTING -> VALIDATED -> PUBLISHED -> INVALID, then each move is recorded with who and why', async () => {
    await c.tag('life', 'release', [['P', 1, 0, 0, -1, -1]]);
    for (const state of ['TESTING', 'VALIDATED', 'PUBLISHED', 'INVALID'] as const) {
      const t = await setTagState(app.deps, MANAGER, { name: 'life', state, reason: `to ${state}` });
      assert.equal(t.state, state);
    }
    const h = await tagHistory(app.deps, 'life', { kind: 'state' });
    assert.deepEqual(h.events.map((e) => [(e.details as { from: string }).from, (e.details as { to: string }).to, e.reason, e.actor]).reverse(), [
      ['OPEN', 'TESTING', 'to TESTING', 'carla'],
      ['TESTING', 'VALIDATED', 'to VALIDATED', 'carla'],
      ['VALIDATED', 'PUBLISHED', 'to PUBLISHED', 'carla'],
      ['PUBLISHED', 'INVALID', 'to INVALID', 'carla'],
    ]);
    assert.equal(await app.deps.prisma.auditEvent.count({ where: { action: 'tag.state', targetId: 'life' } }), 4);
  });

  it('when an illegal move is asked, then ILLEGAL_TRANSITION and the tag stays as it was', async () => {
    await c.tag('pub', 'release', [], 'PUBLISHED');
    await assert.rejects(() => setTagState(app.deps, MANAGER, { name: 'pub', state: 'OPEN' }), code('ILLEGAL_TRANSITION'));
    await assert.rejects(() => setTagState(app.deps, MANAGER, { name: 'pub', state: 'TESTING' }), code('ILLEGAL_TRANSITION'));
    await c.tag('open1', 'staging', []);
    await assert.rejects(() => setTagState(app.deps, MANAGER, { name: 'open1', state: 'PUBLISHED' }), code('ILLEGAL_TRANSITION'));
    assert.equal((await app.deps.prisma.globalTag.findUniqueOrThrow({ where: { name: 'pub' } })).state, 'PUBLISHED');
  });

  it('when the expected state does not match (compare-and-set), then CONFLICT', async () => {
    await c.tag('cas', 'staging', [], 'TESTING');
    await assert.rejects(() => setTagState(app.deps, MANAGER, { name: 'cas', state: 'VALIDATED', expectedState: 'OPEN' }), code('CONFLICT'));
  });

  it('when IoVs are changed in a tag that is not OPEN, then RULE_VIOLATION; in OPEN they can be added, modified and deleted', async () => {
    await c.tag('frozen', 'staging', [['F', 1, 0, 0, -1, -1]], 'TESTING');
    const iov = { firstExp: 1, firstRun: 0, finalExp: 1, finalRun: -1 };
    await assert.rejects(() => addIov(app.deps, MANAGER, { tag: 'frozen', payload: { name: 'F', revision: 1 }, iov }), code('RULE_VIOLATION'));
    await c.tag('running_x', 'running', [['F', 1, 0, 0, 0, -1]], 'RUNNING');
    await assert.rejects(() => addIov(app.deps, MANAGER, { tag: 'running_x', payload: { name: 'F', revision: 1 }, iov }), /only grows by running update/);
    await c.tag('editable', 'staging', []);
    const a = await addIov(app.deps, MANAGER, { tag: 'editable', payload: { name: 'F', revision: 1 }, iov });
    const m = await modifyIov(app.deps, MANAGER, { tag: 'editable', id: a.id, iov: { firstExp: 1, firstRun: 5, finalExp: -1, finalRun: -1 }, reason: 'later start' });
    assert.notEqual(m.id, a.id);
    assert.equal(m.replaces, a.id);
    assert.deepEqual(await c.live('editable'), ['F r1 1,5,-1,-1']);
    await deleteIov(app.deps, MANAGER, { tag: 'editable', id: m.id, reason: 'wrong payload' });
    assert.deepEqual(await c.live('editable'), []);
    const kinds = (await tagHistory(app.deps, 'editable')).events.map((e) => e.kind);
    assert.deepEqual(kinds, ['iov.delete', 'iov.modify', 'iov.insert', 'create']);
  });

  it('when an IoV would overlap another of the same payload name, then it is refused unless allowOverlap', async () => {
    await c.tag('ov', 'staging', [['O', 2, 0, 0, 5, -1]]);
    await assert.rejects(
      () => addIov(app.deps, MANAGER, { tag: 'ov', payload: { name: 'O', revision: 1 }, iov: { firstExp: 5, firstRun: 3, finalExp: -1, finalRun: -1 } }),
      (e: unknown) => e instanceof DomainError && e.code === 'RULE_VIOLATION' && /overlaps IoV \d+ r2 \[0,0,5,-1\]/.test(e.message),
    );
    await addIov(app.deps, MANAGER, { tag: 'ov', payload: { name: 'O', revision: 1 }, iov: { firstExp: 6, firstRun: 0, finalExp: -1, finalRun: -1 } });
    await addIov(app.deps, MANAGER, { tag: 'ov', payload: { name: 'O', revision: 1 }, iov: { firstExp: 5, firstRun: 3, finalExp: 5, finalRun: 9 }, allowOverlap: true });
    const r = await resolveChain(app.deps, { tags: ['ov'], exp: 5, run: 4 });
    assert.equal(r.payloads[0].revision, 2, 'higher revision wins where overlapping');
  });
});

describe('rename, clone, snapshot, merge, ensure, FCSR', () => {
  it('when a tag is renamed, then its history follows it; a RUNNING tag cannot be renamed', async () => {
    await c.tag('old_name', 'staging', [['R', 1, 0, 0, -1, -1]]);
    await renameTag(app.deps, MANAGER, { name: 'old_name', newName: 'new_name', reason: 'typo' });
    const h = await tagHistory(app.deps, 'new_name');
    assert.equal(h.events[0].kind, 'rename');
    assert.ok(h.events.some((e) => e.kind === 'iov.insert'));
    await c.tag('run_named', 'running', [], 'RUNNING');
    await assert.rejects(() => renameTag(app.deps, MANAGER, { name: 'run_named', newName: 'x' }), code('RULE_VIOLATION'));
    await assert.rejects(() => renameTag(app.deps, MANAGER, { name: 'new_name', newName: 'run_named' }), code('CONFLICT'));
  });

  it('when a tag is cloned, then the clone is OPEN with the same IoVs and the source is untouched', async () => {
    await c.tag('src', 'release', [['C', 1, 0, 0, 3, -1], ['C', 2, 4, 0, -1, -1]], 'PUBLISHED');
    const cl = await cloneTag(app.deps, MANAGER, { source: 'src', name: 'src_clone' });
    assert.equal(cl.state, 'OPEN');
    assert.equal(cl.copied, 2);
    assert.deepEqual(await c.live('src_clone'), await c.live('src'));
  });

  it('when a snapshot is taken by bucket, then it is named by the pattern, PUBLISHED, and a frozen copy of the moment', async () => {
    await c.tag('data_prompt_running_t', 'running', [['S', 1, 0, 0, -1, -1]], 'RUNNING');
    const s = await snapshotTag(app.deps, MANAGER, { source: 'data_prompt_running_t', bucket: 'e0012_b0007' });
    assert.equal(s.name, 'data_reprocessing_prompt_snapshot_e0012_b0007');
    assert.equal(s.state, 'PUBLISHED');
    assert.equal(s.type, 'snapshot');
    assert.deepEqual(await c.live(s.name), ['S r1 0,0,-1,-1']);
    await assert.rejects(() => snapshotTag(app.deps, MANAGER, { source: 'data_prompt_running_t', bucket: 'e0012_b0007' }), code('CONFLICT'));
    await assert.rejects(() => addIov(app.deps, MANAGER, { tag: s.name, payload: { name: 'S', revision: 1 }, iov: { firstExp: 9, firstRun: 0, finalExp: 9, finalRun: -1 } }), code('RULE_VIOLATION'));
  });

  it('when tags are merged by priority, then later tags only fill gaps and the result resolves like the chain', async () => {
    await c.tag('m_fix', 'auxiliary', [['X', 3, 1, 10, 1, 20]]);
    await c.tag('m_base', 'release', [['X', 1, 0, 0, -1, -1], ['Y', 1, 0, 0, -1, -1]]);
    const m = await mergeTags(app.deps, MANAGER, { sources: ['m_fix', 'm_base'], target: 'm_out' });
    assert.equal(m.state, 'OPEN');
    assert.deepEqual(await c.live('m_out'), ['X r1 0,0,1,9', 'X r1 1,21,-1,-1', 'X r3 1,10,1,20', 'Y r1 0,0,-1,-1']);
    for (const run of [5, 10, 20, 21]) {
      const chain = await resolveChain(app.deps, { tags: ['m_fix', 'm_base'], exp: 1, run });
      const merged = await resolveChain(app.deps, { tags: ['m_out'], exp: 1, run });
      assert.deepEqual(merged.payloads.map((p) => [p.name, p.revision]), chain.payloads.map((p) => [p.name, p.revision]));
    }
    const clipped = await mergeTags(app.deps, MANAGER, { sources: [{ tag: 'm_fix', range: { firstExp: 1, firstRun: 15, finalExp: 1, finalRun: -1 } }, 'm_base'], target: 'm_out2' });
    assert.equal(clipped.merged, 4);
    assert.deepEqual((await c.live('m_out2')).filter((l) => l.startsWith('X')), ['X r1 0,0,1,14', 'X r1 1,21,-1,-1', 'X r3 1,15,1,20']);
  });

  it('when ensureTag is called twice, then the tag is created once (in the asked state); another type conflicts', async () => {
    const first = await ensureTag(app.deps, MANAGER, { name: 'loop_running', type: 'running', state: 'RUNNING' });
    const second = await ensureTag(app.deps, MANAGER, { name: 'loop_running', type: 'running', state: 'RUNNING' });
    assert.equal(first.created, true);
    assert.equal(first.tag.state, 'RUNNING');
    assert.equal(second.created, false);
    await assert.rejects(() => ensureTag(app.deps, MANAGER, { name: 'loop_running', type: 'staging' }), code('CONFLICT'));
    await assert.rejects(() => createTag(app.deps, MANAGER, { name: 'loop_running', type: 'running' }), code('CONFLICT'));
  });

  it('when services are composed in a caller transaction that fails, then none of their changes stay', async () => {
    await assert.rejects(() =>
      inTransaction(app.deps, async (tx) => {
        await ensureTag(app.deps, MANAGER, { name: 'composed', type: 'staging' }, { tx });
        await setTagState(app.deps, MANAGER, { name: 'composed', state: 'TESTING' }, { tx });
        throw new Error('the bigger compare-and-set lost');
      }),
    );
    assert.equal(await app.deps.prisma.globalTag.count({ where: { name: 'composed' } }), 0);
  });

  it('when the FCSR is set, then it only moves forward unless forced, and is shown on the tag', async () => {
    await c.tag('fcsr_tag', 'running', [], 'RUNNING');
    const t = await setFirstConditionSafeRun(app.deps, MANAGER, { tag: 'fcsr_tag', exp: 3, run: 100 });
    assert.deepEqual(t.fcsr, { exp: 3, run: 100 });
    await assert.rejects(() => setFirstConditionSafeRun(app.deps, MANAGER, { tag: 'fcsr_tag', exp: 3, run: 99 }), /only moves forward/);
    const forced = await setFirstConditionSafeRun(app.deps, MANAGER, { tag: 'fcsr_tag', exp: 3, run: 99, force: true, reason: 'operator fix' });
    assert.deepEqual(forced.fcsr, { exp: 3, run: 99 });
  });
});
