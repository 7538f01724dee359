/**
 * The dependency graph of calibrations (`depends_on`). An edge a → b means "a reads b's payloads", so b runs first.
 *
 * Orders are stable: among calibrations whose dependencies are satisfied, the one with the smaller name comes first,
 * so the same configuration always yields the same order (logs, job keys and tests can rely on it).
 */
import { DomainError, unknownName } from './errors.ts';

export interface CalibrationNode {
  name: string;
  dependsOn: readonly string[];
}

const byName = (a: string, b: string) => (a < b ? -1 : a > b ? 1 : 0);

/** `a → b → c → a`. */
export function formatCycle(cycle: readonly string[]): string {
  return cycle.join(' → ');
}

/** Dependencies that name no calibration in the set, as [calibration, unknown dependency] pairs. */
export function findUnknownDependencies(nodes: readonly CalibrationNode[]): Array<{ name: string; dependency: string }> {
  const names = new Set(nodes.map((n) => n.name));
  const out: Array<{ name: string; dependency: string }> = [];
  for (const n of nodes) for (const d of n.dependsOn) if (!names.has(d)) out.push({ name: n.name, dependency: d });
  return out;
}

function adjacency(nodes: readonly CalibrationNode[]): Map<string, string[]> {
  const names = new Set(nodes.map((n) => n.name));
  const adj = new Map<string, string[]>();
  for (const n of [...nodes].sort((a, b) => byName(a.name, b.name))) {
    // Unknown dependencies are reported separately; they cannot take part in a cycle.
    const deps = [...new Set(n.dependsOn)].filter((d) => names.has(d)).sort(byName);
    adj.set(n.name, [...(adj.get(n.name) ?? []), ...deps]);
  }
  return adj;
}

/**
 * All dependency cycles, one per strongly connected component, each starting and ending at the component's smallest
 * name: `[a, b, c, a]`. A calibration depending on itself gives `[a, a]`. Empty when the graph is acyclic.
 */
export function findCycles(nodes: readonly CalibrationNode[]): string[][] {
  const adj = adjacency(nodes);
  // Tarjan's strongly connected components, iterative so deep chains cannot overflow the stack.
  const index = new Map<string, number>();
  const low = new Map<string, number>();
  const onStack = new Set<string>();
  const stack: string[] = [];
  const components: string[][] = [];
  let counter = 0;
  for (const root of adj.keys()) {
    if (index.has(root)) continue;
    const work: Array<{ v: string; i: number }> = [{ v: root, i: 0 }];
    index.set(root, counter);
    low.set(root, counter++);
    stack.push(root);
    onStack.add(root);
    while (work.length > 0) {
      const frame = work[work.length - 1];
      const succ = adj.get(frame.v) ?? [];
      if (frame.i < succ.length) {
        const w = succ[frame.i++];
        if (!index.has(w)) {
          index.set(w, counter);
          low.set(w, counter++);
          stack.push(w);
          onStack.add(w);
          work.push({ v: w, i: 0 });
        } else if (onStack.has(w)) {
          low.set(frame.v, Math.min(low.get(frame.v)!, index.get(w)!));
        }
        continue;
      }
      work.pop();
      if (work.length > 0) {
        const parent = work[work.length - 1].v;
        low.set(parent, Math.min(low.get(parent)!, low.get(frame.v)!));
      }
      if (low.get(frame.v) === index.get(frame.v)) {
        const comp: string[] = [];
        let w: string;
        do {
          w = stack.pop()!;
          onStack.delete(w);
          comp.push(w);
        } while (w !== frame.v);
        const selfLoop = comp.length === 1 && (adj.get(comp[0]) ?? []).includes(comp[0]);
        if (comp.length > 1 || selfLoop) components.push(comp.sort(byName));
      }
    }
  }
  return components.map((comp) => cycleWithin(comp, adj)).sort((a, b) => byName(a[0], b[0]));
}

/** A simple cycle through the component's smallest member (breadth-first, so the shortest one). */
function cycleWithin(component: string[], adj: Map<string, string[]>): string[] {
  const members = new Set(component);
  const start = component[0];
  const parent = new Map<string, string>();
  const queue = [start];
  const seen = new Set<string>([start]);
  while (queue.length > 0) {
    const v = queue.shift()!;
    for (const w of adj.get(v) ?? []) {
      if (!members.has(w)) continue;
      if (w === start) {
        const path = [v];
        while (path[0] !== start) path.unshift(parent.get(path[0])!);
        return [...path, start];
      }
      if (!seen.has(w)) {
        seen.add(w);
        parent.set(w, v);
        queue.push(w);
      }
    }
  }
  return [start, start]; // unreachable for a real component
}

/**
 * A validated, acyclic calibration graph. Construction throws `DomainError('INVALID_INPUT')` on duplicate names,
 * unknown dependencies or cycles (config loading reports those as problems first; this is the last guard).
 */
export class CalibrationGraph {
  /** Topological order, dependencies first, ties broken by name. */
  readonly order: readonly string[];
  private readonly deps = new Map<string, readonly string[]>();
  private readonly dependents = new Map<string, string[]>();
  private readonly position = new Map<string, number>();

  constructor(nodes: readonly CalibrationNode[]) {
    const seen = new Set<string>();
    for (const n of nodes) {
      if (seen.has(n.name)) throw new DomainError('INVALID_INPUT', `duplicate calibration "${n.name}"`);
      seen.add(n.name);
    }
    const unknown = findUnknownDependencies(nodes);
    if (unknown.length > 0) {
      const list = unknown.map((u) => `${u.name} depends on unknown "${u.dependency}"`).join('; ');
      throw new DomainError('INVALID_INPUT', `unknown calibration dependencies: ${list}`, unknown);
    }
    const cycles = findCycles(nodes);
    if (cycles.length > 0) {
      const list = cycles.map(formatCycle).join('; ');
      throw new DomainError('INVALID_INPUT', `calibration dependency cycle: ${list}`, cycles);
    }
    for (const n of nodes) {
      this.deps.set(n.name, [...new Set(n.dependsOn)].sort(byName));
      this.dependents.set(n.name, []);
    }
    for (const [name, deps] of this.deps) for (const d of deps) this.dependents.get(d)!.push(name);
    for (const list of this.dependents.values()) list.sort(byName);
    this.order = this.topologicalOrder();
    this.order.forEach((name, i) => this.position.set(name, i));
  }

  private topologicalOrder(): string[] {
    const remaining = new Map<string, number>();
    for (const [name, deps] of this.deps) remaining.set(name, deps.length);
    const ready = [...remaining].filter(([, c]) => c === 0).map(([n]) => n).sort(byName);
    const out: string[] = [];
    while (ready.length > 0) {
      const next = ready.shift()!;
      out.push(next);
      for (const d of this.dependents.get(next)!) {
        const c = remaining.get(d)! - 1;
        remaining.set(d, c);
        if (c === 0) {
          ready.push(d);
          ready.sort(byName);
        }
      }
    }
    return out;
  }

  get names(): readonly string[] {
    return this.order;
  }

  has(name: string): boolean {
    return this.deps.has(name);
  }

  private require(name: string): void {
    if (!this.deps.has(name)) throw unknownName('calibration', name);
  }

  private sortTopologically(names: Iterable<string>): string[] {
    return [...names].sort((a, b) => this.position.get(a)! - this.position.get(b)!);
  }

  /** Direct dependencies, sorted by name. */
  directDependencies(name: string): readonly string[] {
    this.require(name);
    return this.deps.get(name)!;
  }

  /** Calibrations that depend on `name` directly, sorted by name. */
  directDependents(name: string): readonly string[] {
    this.require(name);
    return this.dependents.get(name)!;
  }

  /** Everything `name` needs, transitively, in topological order (excluding `name`). */
  dependenciesOf(name: string): string[] {
    return this.closure(name, this.deps);
  }

  /**
   * Everything that needs `name`, transitively, in topological order (excluding `name`): what to block when `name`
   * fails. Calibrations outside this set may go on.
   */
  dependentsOf(name: string): string[] {
    return this.closure(name, this.dependents);
  }

  /** Union of `dependentsOf` over several failed calibrations, excluding the failed ones themselves. */
  blockedBy(failed: Iterable<string>): string[] {
    const failedSet = new Set(failed);
    const out = new Set<string>();
    for (const f of failedSet) for (const d of this.dependentsOf(f)) if (!failedSet.has(d)) out.add(d);
    return this.sortTopologically(out);
  }

  /**
   * Calibrations that may start now: not yet started, and every dependency succeeded. In topological order.
   * `started` holds everything already running or finished (in any outcome).
   */
  runnable(succeeded: Iterable<string>, started: Iterable<string>): string[] {
    const ok = new Set(succeeded);
    const begun = new Set([...started, ...ok]);
    return this.order.filter((n) => !begun.has(n) && this.deps.get(n)!.every((d) => ok.has(d)));
  }

  private closure(name: string, edges: Map<string, readonly string[]>): string[] {
    this.require(name);
    const seen = new Set<string>();
    const todo = [...edges.get(name)!];
    while (todo.length > 0) {
      const v = todo.pop()!;
      if (seen.has(v)) continue;
      seen.add(v);
      todo.push(...edges.get(v)!);
    }
    return this.sortTopologically(seen);
  }
}

/** Topological order (dependencies first, ties by name); throws like `new CalibrationGraph`. */
export function topologicalOrder(nodes: readonly CalibrationNode[]): string[] {
  return [...new CalibrationGraph(nodes).order];
}
