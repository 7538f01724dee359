import { test } from 'node:test';
import assert from 'node:assert/strict';
import { parseRunList } from '../../src/domain/run-list.ts';

const good = () => ({
  runs: [{ exp: 12, run: 101, type: 'physics', startTime: '2026-11-01T00:00:00Z', endTime: '2026-11-01T01:00:00Z', luminosity: 1.5, eventsOnline: 20000, eventsOffline: 19990, quality: { svd: 'good', cdc: 'bad' }, files: [{ path: '/raw/a.b2raw', status: 'transferred', size: 10, checksum: 'sha256:' + 'a'.repeat(64), events: 5 }] }],
});

test('when a run list follows docs/contracts.md, then it parses with defaults', () => {
  const r = parseRunList(good());
  assert.ok(r.ok);
  assert.equal(r.list.runs[0].files[0].events, 5);
});

test('when fields are wrong, then every problem is reported with its path', () => {
  const bad = good();
  (bad.runs[0] as any).run = -1;
  (bad.runs[0] as any).quality.ecl = 'excellent';
  (bad.runs[0].files[0] as any).status = 'lost';
  (bad.runs[0].files[0] as any).path = 'relative/path';
  (bad.runs[0] as any).extra = 1;
  const r = parseRunList(bad);
  assert.ok(!r.ok);
  const paths = r.problems.map((p) => p.path);
  for (const p of ['runs.0.run', 'runs.0.quality.ecl', 'runs.0.files.0.status', 'runs.0.files.0.path']) assert.ok(paths.includes(p), `${p} in ${paths}`);
  assert.ok(r.problems.some((p) => /extra/.test(p.message)));
});

test('when a run or file is listed twice, or a run ends before it starts, then the list is rejected', () => {
  const twice = good();
  twice.runs.push(JSON.parse(JSON.stringify(twice.runs[0])));
  assert.ok(!parseRunList(twice).ok);
  const backwards = good();
  backwards.runs[0].endTime = '2026-10-01T00:00:00Z';
  const r = parseRunList(backwards);
  assert.ok(!r.ok && r.problems[0].path === 'runs.0.endTime');
  assert.ok(!parseRunList({ runs: 'nope' }).ok);
  assert.ok(!parseRunList(null).ok);
});
