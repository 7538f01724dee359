// Global tags (no token needed: conditions are public): the list, and one tag as an IoV timeline per payload name,
// its history, a diff against another tag or itself at another time, and resolving a run in a chain.
import { api } from '../api.js';
import { h, link, table, fmtTime, chart, message, iovTimelineOption, runKey } from '../ui.js';

export async function tagsPage(main, ctx) {
  const tags = await api('/tags');
  if (ctx.stale()) return;
  main.append(h('h1', {}, `Global tags (${tags.length})`), table(tags, [
    { label: 'tag', cell: (t) => link(`#/tags/${encodeURIComponent(t.name)}`, t.name) },
    { label: 'type', cell: (t) => t.type },
    { label: 'state', cell: (t) => t.state },
    { label: 'IoVs', cell: (t) => String(t.iovCount ?? t.counts?.iovs ?? '') },
    { label: 'description', cell: (t) => t.description },
    { label: 'updated', cell: (t) => fmtTime(t.updatedAt) },
  ], { empty: 'No global tag yet.' }));
  document.body.dataset.page = 'tags';
}

export async function tagPage(main, ctx) {
  const [name] = ctx.params;
  const enc = encodeURIComponent(name);
  const [tag, iovs, history] = await Promise.all([api(`/tags/${enc}`), api(`/tags/${enc}/iovs`), api(`/tags/${enc}/history`, { query: { limit: '50' } })]);
  if (ctx.stale()) return;
  const rows = [...new Set(iovs.iovs.map((i) => i.name))].sort();
  const plot = h('div', { class: 'chart', id: 'tag-iovs', 'data-testid': 'tag-iovs', style: `height:${Math.max(160, 60 + rows.length * 34)}px` });
  main.append(h('h1', {}, `Tag ${tag.name} `, h('span', { class: 'stage' }, tag.state), ' ', h('span', { class: 'muted' }, tag.type)),
    h('p', { class: 'muted' }, tag.description),
    h('section', { class: 'card' }, h('h2', {}, `IoVs (${iovs.iovs.length}) per payload name`), iovs.iovs.length ? plot : h('p', { class: 'muted' }, 'No IoV in this tag.'),
      h('details', {}, h('summary', {}, 'as a table'), table(iovs.iovs, [
        { label: 'payload', cell: (i) => `${i.name} rev ${i.revision}` }, { label: 'IoV', cell: (i) => `${i.firstExp},${i.firstRun},${i.finalExp},${i.finalRun}` },
        { label: 'inserted', cell: (i) => `${fmtTime(i.insertedAt)} by ${i.insertedBy}` }]))),
    resolveCard(name), diffCard(name),
    h('section', { class: 'card' }, h('h2', {}, 'History (latest 50)'), table(Array.isArray(history) ? history : history.events ?? [], [
      { label: 'when', cell: (e) => fmtTime(e.at) }, { label: 'who', cell: (e) => e.actor ?? e.by ?? '' }, { label: 'what', cell: (e) => e.kind }, { label: 'details', cell: (e) => e.reason || JSON.stringify(e.details ?? '') },
    ], { empty: 'No history.' })));
  document.body.dataset.page = 'tag';
  if (iovs.iovs.length) {
    const items = iovs.iovs.map((i) => ({ ...i, row: i.name, label: `${i.name} rev ${i.revision}` }));
    const starts = items.map((i) => runKey(i.firstExp, i.firstRun));
    const ends = items.filter((i) => i.finalExp !== -1 && i.finalRun !== -1).map((i) => runKey(i.finalExp, i.finalRun));
    const min = Math.min(...starts);
    const last = Math.max(...starts, ...ends);
    const max = last + Math.max(10, Math.round((last - min) * 0.1));
    const c = await chart(plot, iovTimelineOption({ iovs: items, rows, min, max, openEnd: max }));
    if (c) plot.dataset.marks = String(items.length);
  }
}

function resolveCard(name) {
  const exp = h('input', { type: 'number', placeholder: 'exp', style: 'width:6em' });
  const run = h('input', { type: 'number', placeholder: 'run', style: 'width:7em' });
  const chain = h('input', { value: name, size: 50, 'aria-label': 'tag chain, highest priority first, comma separated' });
  const out = h('div');
  const go = async (ev) => {
    ev.preventDefault();
    try {
      const r = await api('/resolve', { query: { tag: chain.value, exp: exp.value, run: run.value } });
      out.replaceChildren(table(r.payloads, [{ label: 'payload', cell: (p) => `${p.name} rev ${p.revision}` }, { label: 'from tag', cell: (p) => p.tag }, { label: 'IoV', cell: (p) => (Array.isArray(p.iov) ? p.iov.join(',') : JSON.stringify(p.iov)) }, { label: 'md5', cell: (p) => p.checksum }], { empty: 'Nothing valid for that run.' }));
    } catch (e) { out.replaceChildren(message(e.message)); }
  };
  return h('section', { class: 'card', 'data-testid': 'resolve' }, h('h2', {}, 'Resolve a run'), h('form', { class: 'filters', onsubmit: go }, h('label', {}, 'chain', chain), h('label', {}, 'exp', exp), h('label', {}, 'run', run), h('button', { type: 'submit' }, 'Resolve')), out);
}

function diffCard(name) {
  const other = h('input', { placeholder: 'other tag (empty: this tag at another time)', size: 36 });
  const asOf = h('input', { placeholder: 'as of (ISO time), optional', size: 26 });
  const out = h('div');
  const go = async (ev) => {
    ev.preventDefault();
    try {
      const d = await api('/diff', { query: { a: name, b: other.value || undefined, asOfA: other.value ? undefined : asOf.value || undefined, asOfB: other.value && asOf.value ? asOf.value : undefined } });
      const lines = [...d.added.map((l) => ({ k: '+ added', t: `${l.name} rev ${l.revision} ${l.iov}` })), ...d.removed.map((l) => ({ k: '− removed', t: `${l.name} rev ${l.revision} ${l.iov}` })), ...d.changed.map((c) => ({ k: '~ changed', t: `${c.name}: rev ${c.from.revision} ${c.from.iov} → rev ${c.to.revision} ${c.to.iov}` }))];
      out.replaceChildren(h('p', { class: 'muted' }, `${d.unchanged} unchanged`), table(lines, [{ label: '', cell: (l) => l.k }, { label: 'IoV', cell: (l) => l.t }], { empty: 'No difference.' }));
    } catch (e) { out.replaceChildren(message(e.message)); }
  };
  return h('section', { class: 'card' }, h('h2', {}, 'Diff'), h('form', { class: 'filters', onsubmit: go }, h('label', {}, 'against', other), h('label', {}, 'as of', asOf), h('button', { type: 'submit' }, 'Diff')), out);
}
