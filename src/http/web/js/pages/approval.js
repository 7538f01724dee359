// Payload approval for one bucket: each candidate's constants (result.json metrics.values) with errors against the
// payload it replaces in the running tag and the same calibration's earlier buckets, its metrics and validation
// images; approve or reject one or many with a comment (calibration manager; the server enforces it too).
import { api, blobUrl, session } from '../api.js';
import { h, link, stage, table, num, chart, message } from '../ui.js';

const METRIC_KEYS = ['nEvents', 'nUsed', 'chi2ndf', 'change', 'changeUnit', 'changeSignificance', 'iterationChange', 'tolerance', 'centreSource'];

export async function approvalPage(main, ctx) {
  const [bucket] = ctx.params;
  const show = ctx.query.get('state') ?? 'pending';
  const [b, candidates] = await Promise.all([api(`/buckets/${encodeURIComponent(bucket)}`), api('/payload-candidates', { query: { bucket, state: show } })]);
  if (ctx.stale()) return;
  const manager = session.can('calibration_manager');
  const out = h('div');
  const selected = new Set();
  const comment = h('textarea', { id: 'decision-comment', placeholder: 'comment (required to reject, and to approve a candidate that stopped at the iteration bound)' });
  const decide = async (decision, ids) => {
    try {
      const body = { ids, ...(comment.value.trim() ? { comment: comment.value.trim() } : {}) };
      const done = await api(`/payload-candidates/${decision}`, { method: 'POST', body });
      ctx.flash(`${done.length} candidate(s) ${decision === 'approve' ? 'approved' : 'rejected'}`);
      await ctx.rerender();
    } catch (e) {
      out.replaceChildren(message(e.message));
    }
  };
  main.append(h('h1', {}, `Payload approval — `, link(`#/buckets/${b.name}`, b.name), ' ', stage(b.stage)),
    h('div', { class: 'actions' }, 'show ', ['pending', 'all'].map((s) => (s === show ? h('b', {}, s) : link(`#/approval/${bucket}?state=${s}`, s)))));
  if (manager && candidates.some((c) => c.state === 'pending')) {
    main.append(h('section', { class: 'card', 'data-testid': 'decision' }, h('h2', {}, 'Decision'), comment,
      h('div', { class: 'actions' },
        h('button', { class: 'primary', type: 'button', 'data-testid': 'approve-selected', onclick: () => decide('approve', [...selected]) }, 'Approve selected'),
        h('button', { type: 'button', 'data-testid': 'approve-all', onclick: () => decide('approve', candidates.filter((c) => c.state === 'pending').map((c) => c.id)) }, `Approve all ${candidates.filter((c) => c.state === 'pending').length} pending`),
        h('button', { class: 'danger', type: 'button', 'data-testid': 'reject-selected', onclick: () => decide('reject', [...selected]) }, 'Reject selected')),
      out));
  } else if (!manager) {
    main.append(h('p', { class: 'muted' }, 'Only the calibration manager approves or rejects payloads.'));
  }
  if (!candidates.length) {
    main.append(h('p', { class: 'muted' }, show === 'pending' ? 'No candidate waits for approval in this bucket.' : 'No candidate in this bucket.'));
    document.body.dataset.page = 'approval';
    return;
  }
  const cards = candidates.map((c) => {
    const card = h('section', { class: 'card candidate', 'data-candidate': c.id, 'data-testid': 'candidate' });
    const pick = manager && c.state === 'pending'
      ? h('input', { type: 'checkbox', 'aria-label': `select candidate ${c.id}`, onchange: (ev) => (ev.target.checked ? selected.add(c.id) : selected.delete(c.id)) })
      : null;
    card.append(h('h2', {}, pick, ` ${c.name} rev ${c.revision} `, h('span', { class: 'muted' }, `${c.calibration} · ${c.detector} · IoV ${c.iov.join(',')} · ${c.outcome} after iteration ${c.iteration} · ${c.state}`)));
    if (c.metrics.stoppedAtBound) card.append(message('Stopped at the iteration bound without converging: judge with care (approving needs a comment).', 'error'));
    const values = h('div', { class: 'chart', id: `values-${c.id}` });
    const trend = h('div', { class: 'chart small', id: `trend-${c.id}` });
    card.append(c.values ? h('div', { class: 'grid' }, values, trend) : h('p', { class: 'warn', 'data-testid': 'no-values' }, 'no values reported by the algorithm'));
    card.append(metricsTable(c));
    const images = h('div', { class: 'grid' });
    if (c.validationImages.length) card.append(h('h2', {}, 'Validation images'), images);
    if (manager && c.state === 'pending') {
      card.append(h('div', { class: 'actions' },
        h('button', { class: 'primary', type: 'button', 'data-testid': 'approve-one', onclick: () => decide('approve', [c.id]) }, 'Approve'),
        h('button', { class: 'danger', type: 'button', onclick: () => decide('reject', [c.id]) }, 'Reject')));
    }
    main.append(card);
    return { c, values, trend, images };
  });
  document.body.dataset.page = 'approval';
  for (const { c, values, trend, images } of cards) {
    if (ctx.stale()) return;
    const [cmp] = await Promise.all([c.values ? api(`/payload-candidates/${c.id}/comparison`) : null, showImages(c, images)]);
    if (cmp) {
      await chart(values, valuesOption(cmp));
      await chart(trend, trendOption(cmp, b.name));
    }
  }
  main.dataset.charts = 'done';
}

function metricsTable(c) {
  const m = c.metrics;
  const rows = METRIC_KEYS.filter((k) => m[k] !== undefined && m[k] !== null).map((k) => ({ k, v: m[k] }));
  const vs = m.changeVsRunning;
  if (vs) rows.push({ k: 'vs running tag', v: vs.previousRevision === null ? 'no payload in the running tag' : `rev ${vs.previousRevision} (${vs.previousTag}): max |Δ| ${num(vs.maxAbsChange)}, max rel ${num(vs.maxRelChange, 3)}, max pull ${num(vs.maxPull, 3)}` });
  return h('div', {}, table(rows, [{ label: 'metric', cell: (r) => r.k }, { label: 'value', cell: (r) => (typeof r.v === 'object' ? JSON.stringify(r.v) : String(num(r.v))) }]),
    h('details', {}, h('summary', {}, 'all metrics'), h('pre', {}, JSON.stringify(m, null, 2))));
}

async function showImages(c, el) {
  for (const file of c.validationImages) {
    try {
      const url = await blobUrl(`/payload-candidates/${c.id}/images/${encodeURIComponent(file)}`);
      el.append(h('figure', {}, file.toLowerCase().endsWith('.pdf')
        ? h('object', { data: url, type: 'application/pdf', width: '100%', height: '360' }, link(url, file))
        : h('img', { class: 'validation', src: url, alt: file }), h('figcaption', { class: 'muted' }, file)));
    } catch (e) {
      el.append(message(`${file}: ${e.message}`));
    }
  }
}

/** Points with vertical error bars, one series per source (candidate, running tag, earlier buckets). */
function pointsWithErrors(name, keys, values, color, symbol) {
  const byKey = new Map((values ?? []).map((v) => [v.key, v]));
  const data = keys.map((k, i) => (byKey.has(k) ? [i, byKey.get(k).value, byKey.get(k).error ?? 0] : null)).filter(Boolean);
  return [
    { name, type: 'scatter', symbol, symbolSize: 7, itemStyle: { color }, data: data.map(([i, v, e]) => [i, v, e]) },
    {
      name, type: 'custom', itemStyle: { color }, data,
      renderItem: (p, api) => {
        const x = api.value(0), v = api.value(1), e = api.value(2);
        if (!e) return null;
        const lo = api.coord([x, v - e]), hi = api.coord([x, v + e]);
        return { type: 'group', children: [
          { type: 'line', shape: { x1: lo[0], y1: lo[1], x2: hi[0], y2: hi[1] }, style: { stroke: color, lineWidth: 1 } },
          { type: 'line', shape: { x1: lo[0] - 3, y1: lo[1], x2: lo[0] + 3, y2: lo[1] }, style: { stroke: color } },
          { type: 'line', shape: { x1: hi[0] - 3, y1: hi[1], x2: hi[0] + 3, y2: hi[1] }, style: { stroke: color } },
        ] };
      },
      z: 1,
    },
  ];
}

const PALETTE = ['#8c959f', '#bf8700', '#8250df', '#1b7c83', '#cf222e'];

function valuesOption(cmp) {
  const keys = cmp.values.map((v) => v.key);
  const series = [...pointsWithErrors('this candidate', keys, cmp.values, '#0b3d91', 'circle')];
  if (cmp.running?.values) series.push(...pointsWithErrors(`running tag (rev ${cmp.running.revision})`, keys, cmp.running.values, '#1a7f37', 'diamond'));
  cmp.previousBuckets.slice(-3).forEach((p, i) => series.push(...pointsWithErrors(`${p.bucket} (rev ${p.revision})`, keys, p.values, PALETTE[i], 'triangle')));
  return {
    title: { text: `${cmp.name}: constants with errors`, textStyle: { fontSize: 13 } },
    legend: { top: 30, data: [...new Set(series.map((s) => s.name))] },
    grid: { left: 70, right: 20, top: 70, bottom: 60 },
    tooltip: { trigger: 'item', formatter: (p) => `${p.seriesName}<br>${keys[p.value[0]]}: ${num(p.value[1])} ± ${num(p.value[2], 2)}` },
    xAxis: { type: 'category', data: keys, axisLabel: { rotate: keys.length > 8 ? 45 : 0 } },
    yAxis: { type: 'value', scale: true },
    dataZoom: keys.length > 40 ? [{ type: 'slider', height: 14, bottom: 4 }] : [],
    series,
  };
}

function trendOption(cmp, bucket) {
  const mean = (vs) => (vs && vs.length ? vs.reduce((a, v) => a + v.value, 0) / vs.length : null);
  const points = [...cmp.previousBuckets.map((p) => [p.bucket, mean(p.values)]), [bucket, mean(cmp.values)]];
  const running = cmp.running?.values ? mean(cmp.running.values) : null;
  return {
    title: { text: cmp.values.length > 1 ? 'mean of the constants across buckets' : 'value across buckets', textStyle: { fontSize: 13 } },
    grid: { left: 70, right: 20, top: 40, bottom: 40 },
    tooltip: { trigger: 'axis' },
    xAxis: { type: 'category', data: points.map((p) => p[0]) },
    yAxis: { type: 'value', scale: true },
    series: [
      { name: 'approved per bucket', type: 'line', data: points.map((p) => p[1]), itemStyle: { color: '#0b3d91' }, symbolSize: 8 },
      ...(running !== null ? [{ name: 'running tag', type: 'line', data: points.map(() => running), lineStyle: { type: 'dashed', color: '#1a7f37' }, itemStyle: { color: '#1a7f37' }, symbol: 'none' }] : []),
    ],
  };
}
