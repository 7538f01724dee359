// Small DOM helpers shared by the pages, and the chart loader (Apache ECharts from node_modules, loaded on demand).
import { api } from './api.js';

export function h(tag, attrs = {}, ...children) {
  const el = document.createElement(tag);
  for (const [k, v] of Object.entries(attrs ?? {})) {
    if (v === undefined || v === null || v === false) continue;
    if (k.startsWith('on')) el.addEventListener(k.slice(2), v);
    else if (k === 'class') el.className = v;
    else if (k === 'dataset') Object.assign(el.dataset, v);
    else el.setAttribute(k, v === true ? '' : String(v));
  }
  for (const c of children.flat(Infinity)) {
    if (c === undefined || c === null || c === false) continue;
    el.append(c instanceof Node ? c : document.createTextNode(String(c)));
  }
  return el;
}

export const link = (href, text) => h('a', { href }, text);
export const stage = (s) => h('span', { class: `stage ${s}` }, s.replaceAll('_', ' '));

export function fmtTime(iso) {
  if (!iso) return '';
  const d = new Date(iso);
  return d.toISOString().replace('T', ' ').slice(0, 16) + ' UTC';
}

export function fmtDuration(seconds) {
  if (seconds <= 0) return 'passed';
  const d = Math.floor(seconds / 86400), hh = Math.floor((seconds % 86400) / 3600), m = Math.floor((seconds % 3600) / 60), s = Math.floor(seconds % 60);
  return `${d ? `${d} d ` : ''}${hh} h ${String(m).padStart(2, '0')} min ${String(s).padStart(2, '0')} s`;
}

export const num = (v, digits = 4) => (typeof v === 'number' ? (Number.isInteger(v) ? String(v) : v.toPrecision(digits)) : v ?? '');

/** rows × columns [{label, cell: row => node|string}] */
export function table(rows, columns, attrs = {}) {
  if (!rows.length) return h('p', { class: 'muted' }, attrs.empty ?? '(none)');
  return h('table', attrs,
    h('thead', {}, h('tr', {}, columns.map((c) => h('th', {}, c.label)))),
    h('tbody', {}, rows.map((r) => h('tr', {}, columns.map((c) => h('td', {}, c.cell(r)))))));
}

export function message(text, kind = 'error') {
  return h('div', { class: `message ${kind}`, role: kind === 'error' ? 'alert' : 'status' }, text);
}

/** A pager over a server-side list: offset/limit, total from the server. */
export function pager({ total, offset, limit, go }) {
  const last = Math.max(0, Math.ceil(total / limit) - 1), page = Math.floor(offset / limit);
  return h('div', { class: 'pager' },
    h('button', { type: 'button', disabled: page === 0, onclick: () => go(Math.max(0, offset - limit)) }, '‹ previous'),
    h('span', { class: 'muted' }, total ? `${offset + 1}–${Math.min(total, offset + limit)} of ${total}` : 'none'),
    h('button', { type: 'button', disabled: page >= last, onclick: () => go(offset + limit) }, 'next ›'));
}

let echartsLoading;
function loadEcharts() {
  if (window.echarts) return Promise.resolve(window.echarts);
  echartsLoading ??= new Promise((resolve, reject) => {
    const s = document.createElement('script');
    s.src = 'vendor/echarts.min.js';
    s.onload = () => resolve(window.echarts);
    s.onerror = () => reject(new Error('could not load the charting library'));
    document.head.append(s);
  });
  return echartsLoading;
}

const charts = new Set();
/** An ECharts chart in el (SVG renderer: marks are DOM elements the browser tests can count). */
export async function chart(el, option) {
  const echarts = await loadEcharts();
  if (!el.isConnected) return null;
  const c = echarts.init(el, null, { renderer: 'svg' });
  c.setOption({ animation: false, ...option });
  charts.add(c);
  return c;
}
export function disposeCharts() {
  for (const c of charts) c.dispose();
  charts.clear();
}
addEventListener('resize', () => { for (const c of charts) c.resize(); });

/** Runs on the x axis: (exp, run) → a number; a bucket has one experiment, tags may span several. */
export const runKey = (exp, run) => exp * 100000 + run;
export const runLabel = (k) => `${Math.floor(k / 100000)},${k % 100000}`;

/**
 * IoV bars: one rectangle per IoV from its first to its final run, a row per payload name. Open-ended IoVs run to
 * `openEnd`. Returns the ECharts option.
 */
export function iovTimelineOption({ iovs, rows, min, max, openEnd, colorOf }) {
  const data = iovs.map((i) => {
    const start = runKey(i.firstExp, i.firstRun);
    const end = i.finalExp === -1 ? openEnd : i.finalRun === -1 ? runKey(i.finalExp, 99999) : runKey(i.finalExp, i.finalRun);
    return { value: [rows.indexOf(i.row), start, Math.min(end, openEnd), i.label], itemStyle: { color: colorOf?.(i) ?? '#0b3d91' } };
  });
  return {
    grid: { left: 180, right: 24, top: 16, bottom: 40 },
    tooltip: { formatter: (p) => `${p.value[3]}<br>${runLabel(p.value[1])} → ${runLabel(p.value[2])}` },
    xAxis: { type: 'value', min, max, axisLabel: { formatter: runLabel }, name: 'exp,run', nameLocation: 'middle', nameGap: 26 },
    yAxis: { type: 'category', data: rows, inverse: true },
    series: [{
      type: 'custom',
      name: 'iovs',
      encode: { x: [1, 2], y: 0 },
      data,
      renderItem: (params, api) => {
        const y = api.value(0);
        const a = api.coord([api.value(1), y]);
        const b = api.coord([api.value(2) + 1, y]);
        const height = Math.max(6, api.size([0, 1])[1] * 0.6);
        return { type: 'rect', shape: { x: a[0], y: a[1] - height / 2, width: Math.max(2, b[0] - a[0]), height }, style: { fill: api.visual('color'), stroke: '#ffffff', lineWidth: 1 }, name: 'iov' };
      },
    }],
  };
}

/**
 * The one way a page posts an action: POST, then re-render the page with the new state (and okText on top), or show
 * the server's refusal in `out`. The server decides; the page only reflects it.
 */
export function poster(ctx, out) {
  return async (path, body, okText) => {
    try {
      await api(path, { method: 'POST', body });
      if (okText) ctx.flash(okText);
      await ctx.rerender();
    } catch (e) {
      out.replaceChildren(message(e.message));
    }
  };
}
