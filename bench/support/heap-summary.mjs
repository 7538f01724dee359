#!/usr/bin/env node
/**
 * What a V8 heap snapshot holds, without DevTools: `node bench/support/heap-summary.mjs FILE.heapsnapshot [--top N]`.
 * Prints self sizes summed by node type and constructor name (the biggest first), the largest single objects, and
 * the biggest strings by their first characters (repeated strings show who builds them). Self sizes only: retained
 * sizes need the dominator tree, which DevTools computes; for "what grows" the self-size table of two snapshots of
 * the same process, taken at two moments, is usually enough.
 */
import { readFileSync } from 'node:fs';

const [file, ...rest] = process.argv.slice(2);
if (!file) {
  console.error('usage: heap-summary.mjs FILE.heapsnapshot [--top N]');
  process.exit(1);
}
const top = rest.includes('--top') ? Number(rest[rest.indexOf('--top') + 1]) : 25;
const snap = JSON.parse(readFileSync(file, 'utf8'));
const meta = snap.snapshot.meta;
const fields = meta.node_fields;
const types = meta.node_types[0];
const width = fields.length;
const iType = fields.indexOf('type');
const iName = fields.indexOf('name');
const iSize = fields.indexOf('self_size');
const nodes = snap.nodes;
const strings = snap.strings;

const byKind = new Map();
const biggest = [];
const texts = new Map();
let total = 0;
for (let i = 0; i < nodes.length; i += width) {
  const type = types[nodes[i + iType]];
  const name = strings[nodes[i + iName]];
  const size = nodes[i + iSize];
  total += size;
  const key = type === 'object' || type === 'closure' || type === 'native' ? `${type} ${name}` : type;
  const k = byKind.get(key) ?? { count: 0, size: 0 };
  k.count++;
  k.size += size;
  byKind.set(key, k);
  if (type === 'string' || type === 'concatenated string' || type === 'sliced string') {
    const head = name.slice(0, 60).replace(/\s+/g, ' ');
    const t = texts.get(head) ?? { count: 0, size: 0 };
    t.count++;
    t.size += size;
    texts.set(head, t);
  }
  if (size > 256 * 1024) biggest.push({ type, name: name.slice(0, 80), size });
}

const mb = (x) => (x / 1048576).toFixed(2);
console.log(`total self size ${mb(total)} MB in ${nodes.length / width} nodes`);
console.log('\nby type / constructor (MB, count):');
for (const [k, v] of [...byKind].sort((a, b) => b[1].size - a[1].size).slice(0, top)) console.log(`  ${mb(v.size).padStart(8)}  ${String(v.count).padStart(8)}  ${k}`);
console.log('\nobjects over 256 kB:');
for (const b of biggest.sort((a, b) => b.size - a.size).slice(0, top)) console.log(`  ${mb(b.size).padStart(8)}  ${b.type} ${b.name}`);
console.log('\nstrings by their first 60 characters (MB, count):');
for (const [k, v] of [...texts].sort((a, b) => b[1].size - a[1].size).slice(0, top)) console.log(`  ${mb(v.size).padStart(8)}  ${String(v.count).padStart(8)}  ${JSON.stringify(k)}`);
