/**
 * basf2 local database export and import: a round trip keeps every IoV and payload byte; the exported directory reads
 * with the job toolkit's own reader exactly like the chain resolves; a per-run export is job-ready.
 */
import { describe, it, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { mkdtempSync, readFileSync, readdirSync, writeFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startTestApp, type TestApp } from '../helpers/app.ts';
import { conditions, MANAGER } from '../helpers/conditions-fixtures.ts';
import { exportLocalDb } from '../../src/services/conditions/export-localdb.ts';
import { importLocalDb } from '../../src/services/conditions/import-localdb.ts';
import { resolveChain } from '../../src/services/conditions/resolve-chain.ts';
import { DomainError } from '../../src/domain/errors.ts';

let app: TestApp;
let c: ReturnType<typeof conditions>;
const dirs: string[] = [];
const tmp = () => {
  const d = mkdtempSync(join(tmpdir(), 'calibloop-localdb-'));
  dirs.push(d);
  return d;
};
before(async () => {
  app = await startTestApp();
  c = conditions(app.deps);
});
after(async () => {
  await app.close();
  for (const d of dirs) rmSync(d, { recursive: true, force: true });
});

describe('basf2 local database', () => {
  it('when a tag is exported and imported into another tag, then IoVs, revisions and bytes are identical', async () => {
    await c.tag('rt_src', 'release', [
      ['ECLCrystalEnergy', 1, 0, 0, 3, -1],
      ['ECLCrystalEnergy', 2, 4, 0, 4, 100],
      ['ECLCrystalEnergy', 3, 4, 101, -1, -1],
      ['BeamSpot', 1, 0, 0, -1, -1],
    ]);
    const dir = tmp();
    const out = await exportLocalDb(app.deps, { tags: ['rt_src'], dir });
    assert.equal(out.entries, 4);
    assert.equal(out.files, 4);
    const txt = readFileSync(join(dir, 'database.txt'), 'utf8');
    const lines = txt.split('\n').filter((l) => l && !l.startsWith('#'));
    assert.deepEqual(lines, [
      'dbstore/BeamSpot 1 0,0,-1,-1',
      'dbstore/ECLCrystalEnergy 1 0,0,3,-1',
      'dbstore/ECLCrystalEnergy 2 4,0,4,100',
      'dbstore/ECLCrystalEnergy 3 4,101,-1,-1',
    ]);
    assert.deepEqual(readdirSync(dir).sort(), [
      'database.txt',
      'dbstore_BeamSpot_rev_1.root',
      'dbstore_ECLCrystalEnergy_rev_1.root',
      'dbstore_ECLCrystalEnergy_rev_2.root',
      'dbstore_ECLCrystalEnergy_rev_3.root',
    ]);
    assert.equal(readFileSync(join(dir, 'dbstore_ECLCrystalEnergy_rev_2.root'), 'utf8'), 'ECLCrystalEnergy#2');

    const imported = await importLocalDb(app.deps, MANAGER, { dir, tag: 'rt_dst', create: 'staging', reason: 'round trip' });
    assert.equal(imported.created, true);
    assert.equal(imported.added.length, 4);
    assert.deepEqual(await c.live('rt_dst'), await c.live('rt_src'));
    assert.equal(await app.deps.prisma.payload.count({ where: { name: 'ECLCrystalEnergy' } }), 3, 'identical bytes deduplicated');

    const again = tmp();
    await exportLocalDb(app.deps, { tags: ['rt_dst'], dir: again });
    const strip = (t: string) => t.split('\n').filter((l) => !l.startsWith('#')).join('\n');
    assert.equal(strip(readFileSync(join(again, 'database.txt'), 'utf8')), strip(txt));
    for (const f of readdirSync(dir)) {
      if (f === 'database.txt') continue;
      const h = (p: string) => createHash('md5').update(readFileSync(p)).digest('hex');
      assert.equal(h(join(again, f)), h(join(dir, f)), f);
    }
  });

  it('when a chain is exported, then the job toolkit reads the directory exactly as the chain resolves', async () => {
    await c.tag('tk_fix', 'auxiliary', [['Gain', 5, 1, 10, 1, 20]]);
    await c.tag('tk_base', 'release', [['Gain', 1, 0, 0, 0, -1], ['Gain', 2, 1, 0, -1, -1], ['Ped', 1, 0, 0, -1, -1]]);
    const dir = tmp();
    await exportLocalDb(app.deps, { tags: ['tk_fix', 'tk_base'], dir });
    // the toolkit's reader wants JSON payloads with "values"; give each file such content for this check
    for (const f of readdirSync(dir)) if (f.endsWith('.root')) writeFileSync(join(dir, f), JSON.stringify({ values: { file: f } }));
    const toolkitPath = '../../toolkit/lib/localdb.mjs';
    const { LocalDb } = (await import(toolkitPath)) as { LocalDb: { open(dir: string): { get(n: string, e: number, r: number): { revision: number } | null } } };
    const db = LocalDb.open(dir);
    for (const [exp, run] of [[0, 5], [1, 0], [1, 9], [1, 10], [1, 20], [1, 21], [7, 3]]) {
      const r = await resolveChain(app.deps, { tags: ['tk_fix', 'tk_base'], exp, run });
      for (const name of ['Gain', 'Ped']) {
        const want = r.payloads.find((p) => p.name === name)?.revision ?? null;
        assert.equal(db.get(name, exp, run)?.revision ?? null, want, `${name} at ${exp},${run}`);
      }
    }
  });

  it('when one run is exported, then only its payloads are written, each with the interval where it stays the answer', async () => {
    const dir = tmp();
    const out = await exportLocalDb(app.deps, { tags: ['tk_fix', 'tk_base'], dir, exp: 1, run: 15 });
    assert.equal(out.entries, 2);
    const lines = readFileSync(join(dir, 'database.txt'), 'utf8').split('\n').filter((l) => l && !l.startsWith('#'));
    assert.deepEqual(lines, ['dbstore/Gain 5 1,10,1,20', 'dbstore/Ped 1 0,0,-1,-1']);
    const later = tmp();
    await exportLocalDb(app.deps, { tags: ['tk_fix', 'tk_base'], dir: later, exp: 1, run: 25 });
    const lines25 = readFileSync(join(later, 'database.txt'), 'utf8').split('\n').filter((l) => l && !l.startsWith('#'));
    assert.deepEqual(lines25, ['dbstore/Gain 2 1,21,-1,-1', 'dbstore/Ped 1 0,0,-1,-1']);
  });

  it('when a hand-written database.txt has later lines covering earlier ones, then the later lines win on import', async () => {
    const dir = tmp();
    writeFileSync(join(dir, 'database.txt'), '# written by hand\ndbstore/Hand 1 0,0,-1,-1\ndbstore/Hand 2 2,0,2,-1\n');
    writeFileSync(join(dir, 'dbstore_Hand_rev_1.root'), 'one');
    writeFileSync(join(dir, 'dbstore_Hand_rev_2.root'), 'two');
    await importLocalDb(app.deps, MANAGER, { dir, tag: 'hand', create: 'staging' });
    assert.deepEqual(await c.live('hand'), ['Hand r1 0,0,1,-1', 'Hand r1 3,0,-1,-1', 'Hand r2 2,0,2,-1']);
  });

  it('when payload files are missing or lines malformed, then the import is refused before anything is stored', async () => {
    const dir = tmp();
    writeFileSync(join(dir, 'database.txt'), 'dbstore/Lost 1 0,0,-1,-1\ndbstore/Lost 2 1,0,-1,-1\n');
    writeFileSync(join(dir, 'dbstore_Lost_rev_1.root'), 'here');
    const before = await c.everything();
    await assert.rejects(
      () => importLocalDb(app.deps, MANAGER, { dir, tag: 'lost', create: 'staging' }),
      (e: unknown) => e instanceof DomainError && e.code === 'INVALID_INPUT' && /1 payload file is missing/.test(e.message),
    );
    writeFileSync(join(dir, 'database.txt'), 'dbstore/Lost 1 0,0,-1\n');
    await assert.rejects(() => importLocalDb(app.deps, MANAGER, { dir, tag: 'lost', create: 'staging' }), /malformed/);
    assert.equal(await c.everything(), before);
  });
});
