import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { effectiveEntries, formatDatabaseTxt, parseDatabaseTxt, payloadFileName } from '../../src/domain/localdb-format.ts';
import { formatIov } from '../../src/domain/iov.ts';
import { DomainError } from '../../src/domain/errors.ts';

describe('basf2 local database format', () => {
  it('when entries are formatted, then the lines are dbstore/<name> <revision> e1,r1,e2,r2 and the toolkit reads them back', async () => {
    // the job toolkit's own reader (plain JS, imported by path so the type-checker does not follow it)
    const toolkitPath = '../../toolkit/lib/localdb.mjs';
    const { parseDatabaseTxt: toolkitParse } = (await import(toolkitPath)) as { parseDatabaseTxt: (t: string, f: string) => unknown[] };
    const txt = formatDatabaseTxt([{ name: 'ECLCalib', revision: 3, firstExp: 12, firstRun: 0, finalExp: -1, finalRun: -1 }], ['exported by calibloop']);
    assert.equal(txt, '# exported by calibloop\ndbstore/ECLCalib 3 12,0,-1,-1\n');
    assert.equal(payloadFileName('ECLCalib', 3), 'dbstore_ECLCalib_rev_3.root');
    const parsed = toolkitParse(txt, 'database.txt');
    assert.deepEqual(parsed[0], { name: 'ECLCalib', revision: 3, iov: [12, 0, -1, -1], line: 2 });
  });

  it('when a file has comments and blank lines, then they are skipped and line numbers kept', () => {
    const lines = parseDatabaseTxt('# header\n\ndbstore/A 1 0,0,-1,-1  # trailing\n  dbstore/B 2 1,0,1,-1\n');
    assert.deepEqual(lines.map((l) => [l.name, l.revision, formatIov(l), l.line]), [['A', 1, '0,0,-1,-1', 3], ['B', 2, '1,0,1,-1', 4]]);
  });

  it('when lines are malformed, then every one is reported with its line number', () => {
    assert.throws(
      () => parseDatabaseTxt('dbstore/A 1 0,0,-1,-1\nnonsense\ndbstore/B 1 5,5,5,4\n'),
      (e: unknown) => {
        assert.ok(e instanceof DomainError && e.code === 'INVALID_INPUT');
        const paths = (e.details as Array<{ path: string }>).map((d) => d.path);
        assert.deepEqual(paths, ['database.txt:2', 'database.txt:3']);
        return true;
      },
    );
  });

  it('when later lines cover runs of earlier ones, then the later lines win and the result has no overlaps', () => {
    const lines = parseDatabaseTxt('dbstore/A 1 0,0,-1,-1\ndbstore/A 2 3,0,3,-1\ndbstore/B 1 0,0,-1,-1\n');
    const eff = effectiveEntries(lines);
    assert.deepEqual(eff.map((l) => `${l.name} ${l.revision} ${formatIov(l)}`), ['A 1 0,0,2,-1', 'A 2 3,0,3,-1', 'A 1 4,0,-1,-1', 'B 1 0,0,-1,-1']);
  });
});
