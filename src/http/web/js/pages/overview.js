// "What needs me now": GET /status narrowed to the signed-in role (the same service as `calibloop status`).
import { api, session } from '../api.js';
import { h, link, stage, table, fmtTime, fmtDuration, chart, poster } from '../ui.js';
import { startCountdowns, setServerNow } from './countdown.js';

export async function overviewPage(main, ctx) {
  const status = await api('/status');
  if (ctx.stale()) return;
  setServerNow(status.generatedAt);
  const role = session.who.role;
  main.append(h('h1', {}, 'What needs me now'), h('p', { class: 'muted' }, `as ${role.replaceAll('_', ' ')} · ${fmtTime(status.generatedAt)}`));

  main.append(h('section', { class: 'card', 'data-testid': 'actions' },
    h('h2', {}, `To do (${status.actions.length})`),
    status.actions.length
      ? h('ul', { class: 'plain' }, status.actions.map((a) => h('li', { 'data-kind': a.kind },
          link(a.link, a.title),
          a.deadline ? h('span', { class: 'muted' }, ' — closes in ', h('span', { class: 'countdown-inline', 'data-deadline': a.deadline }, '')) : null)))
      : h('p', { class: 'muted' }, 'Nothing waits for you.')));

  if (role === 'calibration_manager' || role === 'admin' || role === 'detector_expert') main.append(requestsCard(status, ctx));
  if (role === 'detector_expert') {
    main.append(h('section', { class: 'card' }, h('h2', {}, 'Your calibrations'),
      table(status.calibrations, [
        { label: 'bucket', cell: (c) => link(`#/buckets/${c.bucket}`, c.bucket) },
        { label: 'calibration', cell: (c) => c.calibration },
        { label: 'detector', cell: (c) => c.detector },
        { label: 'outcome', cell: (c) => h('span', { class: ['converged'].includes(c.state) ? 'good' : c.state === 'running' ? '' : 'bad' }, c.state) },
        { label: 'message', cell: (c) => c.message ?? '' },
        { label: 'when', cell: (c) => fmtTime(c.at) },
      ], { empty: 'No finished calibrations of your detectors yet.' })));
  }
  if (status.windows.length) {
    main.append(h('section', { class: 'card' }, h('h2', {}, 'Open fix windows'),
      table(status.windows, [
        { label: 'bucket', cell: (w) => link(`#/windows/${w.bucket}`, w.bucket) },
        { label: 'closes in', cell: (w) => h('span', { class: 'countdown-inline', 'data-deadline': w.deadline }, fmtDuration(w.secondsToDeadline)) },
        { label: 'deadline', cell: (w) => fmtTime(w.deadline) },
        { label: 'pending fixes', cell: (w) => String(w.pendingFixes) },
      ])));
  }
  if (role === 'data_production_manager' || role === 'admin') {
    const charts = h('div', { class: 'grid' }, h('section', { class: 'card' }, h('h2', {}, 'Buckets by stage'), h('div', { class: 'chart small', id: 'stages-chart' })),
      h('section', { class: 'card' }, h('h2', {}, 'Failed jobs by error class'), h('div', { class: 'chart small', id: 'errors-chart' })));
    main.append(charts, productionCard(status));
    if (status.campaignsReady.length) {
      main.append(h('section', { class: 'card' }, h('h2', {}, 'Campaigns ready to launch'),
        table(status.campaignsReady, [{ label: 'campaign', cell: (c) => link('#/campaigns', `#${c.id}`) }, { label: 'bucket', cell: (c) => c.bucket }, { label: 'tag', cell: (c) => c.tag }])));
    }
  }
  main.append(h('section', { class: 'card', 'data-testid': 'buckets' }, h('h2', {}, `Buckets in flight (${status.buckets.length})`),
    table(status.buckets, [
      { label: 'bucket', cell: (b) => link(`#/buckets/${b.name}`, b.name) },
      { label: 'runs', cell: (b) => `${b.exp}: ${b.runs.firstRun}–${b.runs.lastRun ?? '…'}` },
      { label: 'stage', cell: (b) => stage(b.stage) },
      { label: 'waits for', cell: (b) => h('span', {}, b.waitsFor, b.failure ? h('div', { class: 'bad' }, b.failure) : null) },
      { label: 'on', cell: (b) => b.waitsOn.replaceAll('_', ' ') },
      { label: 'deadline', cell: (b) => (b.deadline ? h('span', { class: 'countdown-inline', 'data-deadline': b.deadline }, '') : '') },
      { label: 'failed jobs', cell: (b) => Object.entries(b.failedJobs).map(([k, n]) => `${k} ${n}`).join(', ') },
      { label: 'to approve', cell: (b) => (b.pendingCandidates ? link(`#/approval/${b.name}`, String(b.pendingCandidates)) : '') },
      { label: 'fixes', cell: (b) => (b.pendingFixes ? link(`#/windows/${b.name}`, String(b.pendingFixes)) : '') },
    ], { empty: 'No bucket in flight.' })));
  startCountdowns(main);
  document.body.dataset.page = 'overview';

  if (role === 'data_production_manager' || role === 'admin') {
    const byStage = {};
    for (const b of status.buckets) byStage[b.stage] = (byStage[b.stage] ?? 0) + 1;
    const byClass = {};
    for (const b of status.buckets) for (const [k, n] of Object.entries(b.failedJobs)) byClass[k] = (byClass[k] ?? 0) + n;
    await chart(document.getElementById('stages-chart'), { grid: { left: 130, right: 20, top: 10, bottom: 30 }, xAxis: { type: 'value', minInterval: 1 }, yAxis: { type: 'category', data: Object.keys(byStage) }, series: [{ type: 'bar', data: Object.values(byStage), itemStyle: { color: '#0b3d91' } }] });
    await chart(document.getElementById('errors-chart'), Object.keys(byClass).length
      ? { grid: { left: 100, right: 20, top: 10, bottom: 30 }, xAxis: { type: 'value', minInterval: 1 }, yAxis: { type: 'category', data: Object.keys(byClass) }, series: [{ type: 'bar', data: Object.values(byClass), itemStyle: { color: '#b42318' } }] }
      : { title: { text: 'no failed jobs', left: 'center', top: 'middle', textStyle: { color: '#687086', fontSize: 13 } } });
  }
}

/** Production per bucket and step: succeeded / still to run / failed, linking to the jobs. */
function productionCard(status) {
  const rows = status.buckets.flatMap((b) => Object.entries(b.production).map(([step, p]) => ({ bucket: b.name, stage: b.stage, step, ...p })));
  const pct = (n, total) => (total ? `${Math.round((1000 * n) / total) / 10}%` : '');
  return h('section', { class: 'card', 'data-testid': 'production' }, h('h2', {}, 'Production per bucket and step'), table(rows, [
    { label: 'bucket', cell: (r) => link(`#/buckets/${r.bucket}`, r.bucket) },
    { label: 'stage', cell: (r) => stage(r.stage) },
    { label: 'step', cell: (r) => link(`#/jobs?bucket=${r.bucket}&step=${r.step}`, r.step) },
    { label: 'jobs', cell: (r) => String(r.total) },
    { label: 'succeeded', cell: (r) => `${r.succeeded} (${pct(r.succeeded, r.total)})` },
    { label: 'to run', cell: (r) => String(r.active) },
    { label: 'failed', cell: (r) => (r.failed ? link(`#/jobs?bucket=${r.bucket}&step=${r.step}&state=failed`, String(r.failed)) : '0') },
  ], { empty: 'No production job in flight.' }));
}

function requestsCard(status, ctx) {
  const manager = session.can('calibration_manager');
  const card = h('section', { class: 'card', 'data-testid': 'requests' }, h('h2', {}, `Algorithm requests waiting for a decision (${status.requests.length})`));
  const out = h('div');
  const post = poster(ctx, out);
  const decide = (r, decision) => {
    const comment = card.querySelector(`textarea[data-request="${r.id}"]`)?.value.trim();
    return post(`/requests/${r.id}/${decision}`, comment ? { comment } : {}, `request #${r.id} ${decision === 'approve' ? 'approved' : 'rejected'}`);
  };
  card.append(out, table(status.requests, [
    { label: '#', cell: (r) => String(r.id) },
    { label: 'calibration', cell: (r) => r.calibration },
    { label: 'detector', cell: (r) => r.detector },
    { label: 'bucket', cell: (r) => (r.bucket ? link(`#/buckets/${r.bucket}`, r.bucket) : '') },
    { label: 'by', cell: (r) => r.submittedBy },
    { label: 'reason', cell: (r) => r.reason },
    ...(manager ? [{ label: 'decide', cell: (r) => h('div', {}, h('textarea', { 'data-request': r.id, placeholder: 'comment (needed to reject)' }),
      h('div', { class: 'actions' }, h('button', { class: 'primary', type: 'button', onclick: () => decide(r, 'approve') }, 'Approve'), h('button', { type: 'button', onclick: () => decide(r, 'reject') }, 'Reject'))) }] : []),
  ], { empty: 'No request waits.' }));
  return card;
}
