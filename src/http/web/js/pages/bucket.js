// One bucket: stage timeline (who/when from the audit trail), production progress per step, completeness per run,
// calibrations with each iteration's outcome, links to job logs; the manager's actions for its stage.
import { api, session } from '../api.js';
import { h, link, stage, table, fmtTime, num, chart, message, poster } from '../ui.js';

const STATE_COLORS = { succeeded: '#1a7f37', running: '#1f6feb', submitted: '#79c0ff', created: '#d0d7de', held: '#9a6700', failed: '#b42318', cancelled: '#8c959f' };

export async function bucketPage(main, ctx) {
  const [name] = ctx.params;
  const b = await api(`/buckets/${encodeURIComponent(name)}`);
  if (ctx.stale()) return;
  main.append(h('h1', {}, `Bucket ${b.name} `, stage(b.stage)),
    h('div', { class: 'kpis card', style: 'padding:10px 16px' },
      kpi('runs', `${b.exp}: ${b.firstRun}–${b.lastRun ?? '…'} (${b.runs})`), kpi('luminosity', `${num(b.luminosity, 4)} /pb`),
      kpi('opened', fmtTime(b.openedAt)), kpi('in stage since', fmtTime(b.stageChangedAt))),
    actionsFor(b, ctx));
  const timeline = h('section', { class: 'card' }, h('h2', {}, 'Stage timeline'), h('div', { class: 'chart small', id: 'stage-chart' }),
    table(b.history.filter((e) => e.action.startsWith('bucket.')), [
      { label: 'when', cell: (e) => fmtTime(e.at) }, { label: 'who', cell: (e) => e.actor }, { label: 'what', cell: (e) => e.summary },
    ], { empty: 'No stage change recorded yet.' }));
  const production = h('section', { class: 'card', 'data-testid': 'production' }, h('h2', {}, 'Production progress per step'), h('p', { class: 'muted' }, 'loading…'));
  const calibrations = h('section', { class: 'card', 'data-testid': 'calibrations' }, h('h2', {}, 'Calibrations'), h('p', { class: 'muted' }, 'loading…'));
  const completeness = h('section', { class: 'card', 'data-testid': 'completeness' }, h('h2', {}, 'Completeness per run'), h('p', { class: 'muted' }, 'loading…'));
  main.append(timeline, production, calibrations, completeness);
  if (b.flaggedRuns.length) {
    main.append(h('section', { class: 'card' }, h('h2', {}, `Flagged runs (${b.flaggedRuns.length})`),
      table(b.flaggedRuns, [{ label: 'run', cell: (r) => `${r.exp},${r.run}` }, { label: 'flag', cell: (r) => r.flag }, { label: 'reason', cell: (r) => r.flagReason ?? '' }])));
  }

  const [progress, calib] = await Promise.all([api(`/buckets/${encodeURIComponent(name)}/progress`), api(`/calibrations/buckets/${encodeURIComponent(name)}`).catch(() => null)]);
  if (ctx.stale()) return;
  renderProduction(production, progress, name);
  renderCalibrations(calibrations, calib);
  document.body.dataset.page = 'bucket';
  await Promise.all([
    stageChart(b),
    progress.steps.length ? chart(document.getElementById('progress-chart'), progressOption(progress)) : null,
  ]);
  const comp = await api(`/buckets/${encodeURIComponent(name)}/completeness`);
  if (ctx.stale()) return;
  renderCompleteness(completeness, comp);
}

const kpi = (label, value) => h('div', { class: 'kpi' }, h('span', { class: 'muted' }, label), h('b', {}, value));

function actionsFor(b, ctx) {
  const box = h('div', { class: 'actions' });
  const out = h('div');
  const post = poster(ctx, out);
  if (b.stage === 'awaiting_approval') box.append(link(`#/approval/${b.name}`, 'Payload approval →'));
  if (['fix_window', 'awaiting_blessing', 'blessed', 'reprocessing', 'done'].includes(b.stage)) box.append(link(`#/windows/${b.name}`, 'Fix window →'));
  if (b.stage === 'awaiting_blessing' && session.can('calibration_manager')) {
    const comment = h('input', { placeholder: 'comment', size: 40 });
    box.append(comment, h('button', { class: 'primary', type: 'button', onclick: () => post(`/buckets/${b.name}/bless`, comment.value ? { comment: comment.value } : {}, `${b.name} blessed`) }, 'Bless the final tag'));
  }
  if (b.stage === 'failed' && session.can('calibration_manager', 'data_production_manager')) {
    const reason = h('input', { placeholder: 'reason (required)', size: 40 });
    box.append(h('span', { class: 'bad' }, String(b.data?.failure ?? 'failed')), reason, h('button', { type: 'button', onclick: () => post(`/buckets/${b.name}/recover`, { reason: reason.value }, `${b.name} recovered`) }, 'Recover'));
  }
  box.append(link(`#/jobs?bucket=${b.name}`, 'Jobs →'));
  return h('div', {}, box, out);
}

async function stageChart(b) {
  // audit actions: bucket.create (entered open), bucket.stage.<stage> (entered <stage>)
  const entered = (e) => (e.action === 'bucket.create' ? 'open' : e.action.startsWith('bucket.stage.') ? e.action.slice('bucket.stage.'.length) : null);
  const points = b.history.map((e) => [e.at, entered(e)]).filter((p) => p[1]);
  if (!points.length) points.push([b.stageChangedAt, b.stage]);
  return chart(document.getElementById('stage-chart'), {
    grid: { left: 130, right: 24, top: 10, bottom: 30 },
    tooltip: { trigger: 'item', formatter: (p) => `${p.value[1]}<br>${fmtTime(p.value[0])}` },
    xAxis: { type: 'time' },
    yAxis: { type: 'category', data: [...new Set(points.map((p) => p[1]))] },
    series: [{ type: 'line', step: 'end', data: points, symbolSize: 8, itemStyle: { color: '#0b3d91' } }],
  });
}

function renderProduction(el, progress, name) {
  const rows = progress.steps;
  el.replaceChildren(h('h2', {}, 'Production progress per step'),
    rows.length ? h('div', { class: 'chart small', id: 'progress-chart' }) : '',
    table(rows, [
      { label: 'step', cell: (s) => link(`#/jobs?bucket=${name}&step=${s.step}`, s.step) },
      { label: 'jobs', cell: (s) => String(s.total) },
      { label: 'expected', cell: (s) => (s.expectedTotal ?? s.expected ?? '') === '' ? '' : String(s.expectedTotal ?? s.expected) },
      { label: 'succeeded', cell: (s) => `${s.states.succeeded ?? 0} (${s.succeededPercent}%)` },
      { label: 'final', cell: (s) => `${s.finalPercent}%` },
      { label: 'failed', cell: (s) => (s.states.failed ? link(`#/jobs?bucket=${name}&step=${s.step}&state=failed`, String(s.states.failed)) : '0') },
      { label: 'errors', cell: (s) => Object.entries(s.errors).map(([k, n]) => `${k} ${n}`).join(', ') },
      { label: 'events in → out', cell: (s) => `${s.eventsIn.toLocaleString('en')} → ${s.eventsOut.toLocaleString('en')}` },
    ], { empty: 'No production job yet.' }));
}

function progressOption(progress) {
  const steps = progress.steps.map((s) => s.step);
  const states = Object.keys(STATE_COLORS);
  return {
    legend: { top: 0 },
    grid: { left: 110, right: 20, top: 30, bottom: 24 },
    tooltip: { trigger: 'axis' },
    xAxis: { type: 'value' },
    yAxis: { type: 'category', data: steps },
    series: states.map((st) => ({ name: st, type: 'bar', stack: 'jobs', itemStyle: { color: STATE_COLORS[st] }, data: progress.steps.map((s) => s.states[st] ?? 0) })),
  };
}

function renderCalibrations(el, calib) {
  el.replaceChildren(h('h2', {}, 'Calibrations'));
  if (!calib) return el.append(h('p', { class: 'muted' }, 'No calibration planned for this bucket.'));
  if (calib.failure) el.append(message(calib.failure));
  if (calib.readyForRunningUpdate && !calib.readyForRunningUpdate.ready && calib.readyForRunningUpdate.blockers.length) {
    el.append(h('p', { class: 'warn' }, 'Running update waits for: ', calib.readyForRunningUpdate.blockers.join('; ')));
  }
  el.append(table(calib.calibrations, [
    { label: 'calibration', cell: (c) => h('span', {}, h('b', {}, c.calibration), c.current ? '' : h('span', { class: 'muted' }, ' (superseded)')) },
    { label: 'detector', cell: (c) => c.detector },
    { label: 'state', cell: (c) => h('span', { class: c.state === 'converged' ? 'good' : ['failed', 'blocked', 'rejected', 'not_enough_data'].includes(c.state) ? 'bad' : '' }, c.state) },
    { label: 'iterations', cell: (c) => h('div', {}, c.iterations.map((i) => h('div', {},
      `#${i.iteration}: ${i.outcome ?? 'running'}`,
      i.metrics?.chi2ndf !== undefined && i.metrics?.chi2ndf !== null ? h('span', { class: 'muted' }, ` χ²/ndf ${num(i.metrics.chi2ndf, 3)}`) : null,
      i.jobId ? [' · ', link(`#/jobs?job=${i.jobId}`, `job ${i.jobId} log`)] : null))) },
    { label: 'inputs', cell: (c) => inputsText(c.inputs) },
    { label: 'chain', cell: (c) => h('code', {}, (c.tagChain ?? []).join(' > ')) },
    { label: 'message', cell: (c) => c.message ?? '' },
    { label: 'candidates', cell: (c) => c.candidates.length ? `${c.candidates.length} (${[...new Set(c.candidates.map((x) => x.state))].join(', ')})` : '' },
  ], { empty: 'No calibration planned yet.' }));
}

function inputsText(inputs) {
  if (!inputs || typeof inputs !== 'object') return '';
  const parts = [];
  if (Array.isArray(inputs.runs)) parts.push(`${inputs.runs.length} runs`);
  if (typeof inputs.files === 'number') parts.push(`${inputs.files} files`);
  if (typeof inputs.events === 'number') parts.push(`${inputs.events.toLocaleString('en')} events`);
  return parts.join(', ');
}

function renderCompleteness(el, comp) {
  const steps = Object.keys(comp.summary);
  const stepSel = h('select', {}, h('option', { value: '' }, 'all steps'), steps.map((s) => h('option', { value: s }, s)));
  const text = h('input', { placeholder: 'run or reason contains…', size: 30 });
  const list = h('div');
  const PAGE = 50;
  let offset = 0;
  const render = () => {
    const q = text.value.trim().toLowerCase();
    const rows = comp.incomplete
      .map((r) => ({ ...r, steps: r.steps.filter((s) => !stepSel.value || s.step === stepSel.value) }))
      .filter((r) => r.steps.length && (!q || `${r.exp},${r.run} ${JSON.stringify(r.steps)}`.toLowerCase().includes(q)));
    offset = Math.min(offset, Math.max(0, rows.length - 1));
    list.replaceChildren(...[
      h('p', { class: 'muted' }, `${rows.length} of ${comp.runs} runs incomplete`),
      table(rows.slice(offset, offset + PAGE), [
        { label: 'run', cell: (r) => `${r.exp},${r.run}` },
        { label: 'steps', cell: (r) => h('div', {}, r.steps.map((s) => h('div', {}, h('b', {}, s.step), ` ${s.status}: `,
          (s.missing ?? []).slice(0, 4).map((m) => `${m.variant || ''}${m.chunk ? `#${m.chunk}` : ''} ${m.kind}${m.reason ? ` (${m.reason})` : ''}`).join('; '),
          (s.missing ?? []).length > 4 ? ` … +${s.missing.length - 4}` : ''))) },
      ], { empty: 'Every run is complete for this selection.' }),
      rows.length > PAGE ? h('div', { class: 'pager' },
        h('button', { type: 'button', disabled: offset === 0, onclick: () => { offset = Math.max(0, offset - PAGE); render(); } }, '‹ previous'),
        h('span', { class: 'muted' }, `${offset + 1}–${Math.min(rows.length, offset + PAGE)}`),
        h('button', { type: 'button', disabled: offset + PAGE >= rows.length, onclick: () => { offset += PAGE; render(); } }, 'next ›')) : null].filter(Boolean));
  };
  stepSel.addEventListener('change', () => { offset = 0; render(); });
  text.addEventListener('input', () => { offset = 0; render(); });
  el.replaceChildren(h('h2', {}, 'Completeness per run'),
    table(steps, [{ label: 'step', cell: (s) => s }, { label: 'runs by status', cell: (s) => Object.entries(comp.summary[s]).map(([k, n]) => `${k} ${n}`).join(', ') }]),
    h('div', { class: 'filters' }, h('label', {}, 'step', stepSel), h('label', {}, 'filter', text)), list);
  render();
  el.dataset.loaded = 'true';
}
