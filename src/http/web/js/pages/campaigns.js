// Reprocessing campaigns: progress per run, launch/abort for the data-production manager, the report.
import { api, session } from '../api.js';
import { h, link, table, fmtTime, chart, message, poster } from '../ui.js';

const kv = (o) => (o && typeof o === 'object' ? Object.entries(o).map(([k, v]) => `${k} ${typeof v === 'object' ? JSON.stringify(v) : v}`).join(', ') : String(o ?? ''));
const STATUS_COLORS = { done: '#1a7f37', failed: '#b42318', pending: '#d0d7de', skipped: '#8c959f' };

export async function campaignsPage(main, ctx) {
  const campaigns = await api('/reprocessing');
  if (ctx.stale()) return;
  const dpm = session.can('data_production_manager');
  const out = h('div');
  const act = poster(ctx, out);
  main.append(h('h1', {}, `Reprocessing campaigns (${campaigns.length})`), out);
  if (!campaigns.length) main.append(h('p', { class: 'muted' }, 'No campaign yet: one is created when the calibration manager blesses a bucket.'));
  for (const c of campaigns) {
    // actions address the campaign by name (they show only on a live campaign, which its name names); the report is
    // read by id, since an aborted campaign and the one re-created from it share the name
    const ref = encodeURIComponent(c.name);
    const reason = h('input', { placeholder: 'reason to abort (required)', size: 34 });
    const report = h('div');
    const plot = h('div', { class: 'chart small', id: `campaign-${c.id}` });
    main.append(h('section', { class: 'card', 'data-campaign': c.id },
      h('h2', {}, `${c.name} `, c.bucket ? link(`#/buckets/${c.bucket}`, c.bucket) : `runs ${c.runRange.exp},${c.runRange.firstRun}–${c.runRange.lastRun}`, ` — ${c.state}`),
      h('p', { class: 'muted' }, `tag `, link(`#/tags/${encodeURIComponent(c.tag)}`, c.tag), ` · created ${fmtTime(c.createdAt)} by ${c.createdBy}`, c.launchedAt ? ` · launched ${fmtTime(c.launchedAt)} by ${c.launchedBy}` : '', c.endReason ? ` · ${c.endReason}` : ''),
      table([{ k: 'runs', v: c.runs }, { k: 'jobs', v: c.jobs }, { k: 'events', v: c.events }], [{ label: '', cell: (r) => r.k }, { label: '', cell: (r) => kv(r.v) }]),
      dpm ? h('div', { class: 'actions' },
        c.state === 'created' ? h('button', { class: 'primary', type: 'button', onclick: () => act(`/reprocessing/${ref}/launch`, {}) }, 'Launch') : null,
        ['created', 'launched', 'running'].includes(c.state) ? [reason, h('button', { class: 'danger', type: 'button', onclick: () => act(`/reprocessing/${ref}/abort`, { reason: reason.value }) }, 'Abort')] : null) : null,
      plot, report));
    api(`/reprocessing/by-id/${c.id}/report`).then((r) => {
      if (ctx.stale()) return;
      const per = { done: r.done.length, failed: r.failed.length, pending: r.pending.length, skipped: r.skipped.length };
      chart(plot, { grid: { left: 60, right: 20, top: 10, bottom: 24 }, xAxis: { type: 'value', minInterval: 1, name: 'runs' }, yAxis: { type: 'category', data: ['runs'] },
        series: Object.entries(per).map(([k, n]) => ({ name: k, type: 'bar', stack: 'runs', data: [n], itemStyle: { color: STATUS_COLORS[k] } })), legend: { bottom: 0 } });
      report.replaceChildren(h('details', {}, h('summary', {}, `Report: ${kv(per)}`),
        h('p', {}, `outputs: ${kv(r.summary.outputs)}`),
        table([...r.failed.map((x) => ({ ...x, status: 'failed' })), ...r.skipped.map((x) => ({ ...x, status: 'skipped' }))], [
          { label: 'run', cell: (x) => `${x.exp},${x.run}` }, { label: 'status', cell: (x) => x.status }, { label: 'why', cell: (x) => x.reason ?? x.error ?? kv(x.errors ?? '') },
        ], { empty: 'No failed or skipped run.' })));
    }).catch((e) => report.replaceChildren(message(e.message)));
  }
  document.body.dataset.page = 'campaigns';
}
