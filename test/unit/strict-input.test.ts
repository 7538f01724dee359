/** The one rule for text values, the name grammar, control characters and the refusal rate window (pure). */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { z } from 'zod';
import { controlCharacterIssues, IdText, Instant, MAX_ID, TextBool, textInt, textList } from '../../src/domain/strict-input.ts';
import { isValidName, nameProblem } from '../../src/domain/names.ts';
import { RateWindow } from '../../src/domain/rate-window.ts';

test('when a text integer is parsed, then only digits in range pass; nothing is coerced', () => {
  const n = textInt(0, 100);
  assert.equal(n.parse('42'), 42);
  assert.equal(n.parse(7), 7, 'a JS integer from code');
  for (const bad of ['', ' 1', '1 ', '1e2', '-1', '0x1', '1.0', 'true', true, null, [1], '101', '12345678901234567']) assert.equal(n.safeParse(bad).success, false, JSON.stringify(bad));
  assert.equal(IdText.safeParse('0').success, false);
  assert.equal(IdText.safeParse(String(MAX_ID + 1)).success, false);
  assert.equal(IdText.parse(String(MAX_ID)), MAX_ID);
});

test('when booleans, lists and times are parsed, then only their exact forms pass', () => {
  assert.equal(TextBool.parse('false'), false);
  assert.equal(TextBool.parse('true'), true);
  for (const bad of ['1', 'yes', 'False', '']) assert.equal(TextBool.safeParse(bad).success, false, bad);
  const list = textList(z.enum(['a', 'b']));
  assert.deepEqual(list.parse('a,b'), ['a', 'b']);
  assert.deepEqual(list.parse(['b']), ['b']);
  assert.equal(list.safeParse('a,c').success, false);
  assert.equal(Instant.parse('2026-03-01T10:00:00+01:00').toISOString(), '2026-03-01T09:00:00.000Z');
  for (const bad of ['2026-03-01T10:00', '2026-03-01', 1700000000000, 'yesterday']) assert.equal(Instant.safeParse(bad).success, false, String(bad));
});

test('when names are checked, then one grammar: no path segments, no invisible or bidi characters, ASCII only', () => {
  for (const ok of ['main', 'e12_bucket1', 'ECLCrystalEnergy', 'data_prompt_rel08.1', '12', 'a-b.c_d']) assert.ok(isValidName(ok), ok);
  for (const bad of ['', '..', '.hidden', '-rf', 'a/b', 'a..b', 'a\u202Eb', 'zero\u200Bwidth', 'é', 'a b', 'x'.repeat(129)]) assert.ok(nameProblem(bad), JSON.stringify(bad));
});

test('when text carries control characters, then each is named by its path; tab and newline only in bodies', () => {
  assert.deepEqual(controlCharacterIssues({ a: 'ok', b: ['x', 'y\u0000'] }, 'body', false).map((i) => i.path), ['body.b.1']);
  assert.deepEqual(controlCharacterIssues({ d: 'two\nlines\t' }, 'body', false), []);
  assert.deepEqual(controlCharacterIssues({ q: 'two\nlines' }, 'query', true).map((i) => i.path), ['query.q']);
  assert.equal(controlCharacterIssues({ s: '\uD800' }, 'body', false).length, 1, 'a lone surrogate');
  assert.equal(controlCharacterIssues({ s: '😀 fine' }, 'body', false).length, 0);
  assert.equal(controlCharacterIssues({ ['k\u0000']: 1 }, 'body', false).length, 1, 'keys too');
});

test('when events come faster than the rate window allows, then the excess is dropped and counted into the next admission', () => {
  const w = new RateWindow(2, 1000);
  assert.deepEqual(w.admit(0), { admitted: true, droppedBefore: 0 });
  assert.deepEqual(w.admit(10), { admitted: true, droppedBefore: 0 });
  assert.deepEqual(w.admit(20), { admitted: false });
  assert.deepEqual(w.admit(30), { admitted: false });
  assert.deepEqual(w.admit(1000), { admitted: true, droppedBefore: 2 });
});
