import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import {
  CalibrationGraph,
  findCycles,
  findUnknownDependencies,
  formatCycle,
  topologicalOrder,
  type CalibrationNode,
} from '../../src/domain/calibration-graph.ts';
import { DomainError } from '../../src/domain/errors.ts';

/** The shipped calibrations of docs/contracts.md, listed in a scrambled order on purpose. */
const prompt: CalibrationNode[] = [
  { name: 'top_time', dependsOn: ['cdc_tracking'] },
  { name: 'klm_efficiency', dependsOn: ['cdc_tracking'] },
  { name: 'cdc_dedx', dependsOn: ['cdc_tracking'] },
  { name: 'svd_alignment', dependsOn: [] },
  { name: 'ecl_energy', dependsOn: ['cdc_tracking'] },
  { name: 'arich_mask', dependsOn: [] },
  { name: 'cdc_tracking', dependsOn: ['svd_alignment'] },
];

describe('calibration graph order', () => {
  it('when calibrations depend on each other, then dependencies come first and ties go by name', () => {
    assert.deepEqual(topologicalOrder(prompt), [
      'arich_mask',
      'svd_alignment',
      'cdc_tracking',
      'cdc_dedx',
      'ecl_energy',
      'klm_efficiency',
      'top_time',
    ]);
  });

  it('when the input order changes, then the order stays the same', () => {
    const reversed = [...prompt].reverse();
    assert.deepEqual(topologicalOrder(reversed), topologicalOrder(prompt));
  });

  it('when a node becomes ready late, then it still sorts by name among the ready ones', () => {
    const nodes: CalibrationNode[] = [
      { name: 'z', dependsOn: [] },
      { name: 'b', dependsOn: ['z'] },
      { name: 'a', dependsOn: ['b'] },
      { name: 'c', dependsOn: [] },
    ];
    assert.deepEqual(topologicalOrder(nodes), ['c', 'z', 'b', 'a']);
  });
});

describe('calibration graph dependents', () => {
  const g = new CalibrationGraph(prompt);

  it('when a calibration fails, then only what depends on it transitively is blocked', () => {
    assert.deepEqual(g.dependentsOf('svd_alignment'), ['cdc_tracking', 'cdc_dedx', 'ecl_energy', 'klm_efficiency', 'top_time']);
    assert.deepEqual(g.dependentsOf('cdc_tracking'), ['cdc_dedx', 'ecl_energy', 'klm_efficiency', 'top_time']);
    assert.deepEqual(g.dependentsOf('arich_mask'), []);
    assert.deepEqual(g.dependentsOf('top_time'), []);
    assert.deepEqual(g.blockedBy(['cdc_tracking', 'ecl_energy']), ['cdc_dedx', 'klm_efficiency', 'top_time']);
  });

  it('when asking for dependencies, then the transitive ones come in order', () => {
    assert.deepEqual(g.dependenciesOf('top_time'), ['svd_alignment', 'cdc_tracking']);
    assert.deepEqual(g.directDependencies('top_time'), ['cdc_tracking']);
    assert.deepEqual(g.directDependents('cdc_tracking'), ['cdc_dedx', 'ecl_energy', 'klm_efficiency', 'top_time']);
  });

  it('when some calibrations succeeded, then runnable lists those whose dependencies all succeeded', () => {
    assert.deepEqual(g.runnable([], []), ['arich_mask', 'svd_alignment']);
    assert.deepEqual(g.runnable(['svd_alignment'], ['arich_mask']), ['cdc_tracking']);
    assert.deepEqual(g.runnable(['svd_alignment', 'cdc_tracking'], ['arich_mask', 'top_time']), [
      'cdc_dedx',
      'ecl_energy',
      'klm_efficiency',
    ]);
  });

  it('when the name is unknown, then NOT_FOUND is thrown', () => {
    assert.throws(() => g.dependentsOf('nope'), (e: unknown) => e instanceof DomainError && e.code === 'NOT_FOUND');
  });
});

describe('calibration graph cycles', () => {
  it('when there is a cycle, then it is reported from its smallest name around to itself', () => {
    const nodes: CalibrationNode[] = [
      { name: 'c', dependsOn: ['a'] },
      { name: 'a', dependsOn: ['b'] },
      { name: 'b', dependsOn: ['c'] },
      { name: 'd', dependsOn: ['a'] },
    ];
    assert.deepEqual(findCycles(nodes), [['a', 'b', 'c', 'a']]);
    assert.equal(formatCycle(['a', 'b', 'c', 'a']), 'a → b → c → a');
  });

  it('when there are two separate cycles and a self-dependency, then each is reported once', () => {
    const nodes: CalibrationNode[] = [
      { name: 'x', dependsOn: ['y'] },
      { name: 'y', dependsOn: ['x'] },
      { name: 'p', dependsOn: ['q'] },
      { name: 'q', dependsOn: ['r'] },
      { name: 'r', dependsOn: ['p', 'q'] },
      { name: 's', dependsOn: ['s'] },
      { name: 't', dependsOn: [] },
    ];
    assert.deepEqual(findCycles(nodes), [
      ['p', 'q', 'r', 'p'],
      ['s', 's'],
      ['x', 'y', 'x'],
    ]);
  });

  it('when the graph is acyclic, then no cycle is found', () => {
    assert.deepEqual(findCycles(prompt), []);
  });

  it('when constructing a graph with a cycle or unknown dependency, then INVALID_INPUT names it', () => {
    assert.throws(
      () => new CalibrationGraph([...prompt, { name: 'svd_alignment2', dependsOn: ['ghost'] }]),
      (e: unknown) => e instanceof DomainError && e.code === 'INVALID_INPUT' && /ghost/.test(e.message),
    );
    const cyclic = prompt.map((n) => (n.name === 'svd_alignment' ? { ...n, dependsOn: ['top_time'] } : n));
    assert.throws(
      () => new CalibrationGraph(cyclic),
      (e: unknown) =>
        e instanceof DomainError && /cdc_tracking → svd_alignment → top_time → cdc_tracking/.test(e.message),
    );
    assert.deepEqual(findUnknownDependencies([{ name: 'a', dependsOn: ['b'] }]), [{ name: 'a', dependency: 'b' }]);
  });
});
