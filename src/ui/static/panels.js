// DOM for the page's panels: the targets table, one card per target, the
// backtests table. Text goes in through textContent only, never as HTML.

/** A target's state in one word for the table and its CSS class: the watchdog's verdict when there is one. */
export function stateOf(summary) {
  const base = summary.health?.state ?? summary.state;
  const stale = summary.stale && base !== 'pending' && base !== 'error';
  return { word: base, label: stale ? `${base}, stale` : base, css: `state-${stale && base === 'fitted' ? 'stale' : base}` };
}

function el(tag, attrs = {}, ...children) {
  const node = document.createElement(tag);
  for (const [k, v] of Object.entries(attrs)) {
    if (k === 'text') node.textContent = v;
    else node.setAttribute(k, v);
  }
  node.append(...children);
  return node;
}

function cell(text, attrs = {}) {
  return el('td', { text, ...attrs });
}

/** "MASE 0.82 · 80 % in band 79 %" for the day window (or the widest window scored). */
export function accuracyText(accuracy) {
  const windows = (accuracy?.windows ?? []).filter((w) => w.count > 0);
  const w = windows.find((x) => x.window === '1d') ?? windows.at(-1);
  if (!w) return 'not scored yet';
  const parts = [];
  if (w.mase !== undefined) parts.push(`MASE ${w.mase.toFixed(2)}`);
  const cover = w.coverage?.[0];
  if (cover) parts.push(`${Math.round(cover.level * 100)} % band held ${Math.round(cover.coverage * 100)} %`);
  return `${parts.join(' · ') || 'scored'} (${w.window}, ${w.count} steps)`;
}

export function renderTargetRows(tbody, targets, extra, showAccuracy) {
  const header = tbody.closest('table').querySelector('thead tr');
  header.children[3].hidden = !showAccuracy;
  tbody.replaceChildren(
    ...targets.map((t) => {
      const state = stateOf(t);
      const info = extra.get(t.name) ?? {};
      const stateCell = cell(state.label, { class: `state ${state.css}`, 'data-state': state.word });
      if (t.health?.reason) stateCell.title = t.health.reason;
      const accuracy = cell(info.accuracy ? accuracyText(info.accuracy) : '—');
      accuracy.hidden = !showAccuracy;
      const replicas = info.recommendation ? `${info.recommendation.replicas}${info.recommendation.basis?.mode === 'reactive' ? ' (reactive)' : ''}` : '—';
      return el(
        'tr',
        { 'data-target': t.name },
        el('th', { scope: 'row' }, el('a', { href: `#target-${t.name}`, text: t.name })),
        stateCell,
        cell(t.model ? `${t.model}${t.fallbackFrom ? ` (for ${t.fallbackFrom})` : ''}` : '—'),
        accuracy,
        cell(replicas, { 'data-replicas': '' }),
        cell(t.lastError ? `${t.lastError.message} (${t.lastError.code}, ${new Date(t.lastError.at).toLocaleString()})` : ''),
      );
    }),
  );
}

/** A target's card: heading, a line of facts, the plot's container, the frontier's, the list of events. */
export function targetCard(name) {
  const plot = el('div', { class: 'plot', role: 'img', 'aria-label': `${name}: actual load, forecast with bands and recommended replicas` });
  const card = el(
    'article',
    { class: 'card', id: `target-${name}`, 'aria-labelledby': `title-${name}` },
    el('h3', { id: `title-${name}`, text: name }),
    el('p', { class: 'meta' }),
    plot,
  );
  const frontier = el('div', { class: 'plot frontier', role: 'img', 'aria-label': `${name}: frontier of policy settings` });
  const frontierBox = el('div', { hidden: '' }, el('h4', { text: 'Frontier: risk against cost per policy setting' }), el('p', { class: 'meta frontier-meta' }), frontier);
  const events = el('ul', { class: 'events', 'aria-label': `${name}: events` });
  card.append(frontierBox, events);
  return { card, plot, frontier, frontierBox, events, meta: card.querySelector('.meta') };
}

export function renderMeta(parts, t, info) {
  const bits = [`state ${stateOf(t).label}`];
  if (t.model) bits.push(`model ${t.model}`);
  if (t.lastFitAt) bits.push(`fitted ${new Date(t.lastFitAt).toLocaleTimeString()}`);
  if (info.recommendation) bits.push(`${info.recommendation.replicas} replicas recommended (quantile ${info.recommendation.basis.quantile})`);
  if (t.health?.reason) bits.push(t.health.reason);
  parts.meta.textContent = bits.join(' · ');
}

export function renderEvents(list, events) {
  list.replaceChildren(...[...events].reverse().slice(0, 8).map((e) => el('li', { text: `${new Date(e.t * 1000).toLocaleString()}: ${e.label}` })));
}

export function renderBacktests(tbody, jobs, onReport) {
  tbody.replaceChildren(
    ...jobs.map((job) => {
      const report = el('td');
      if (job.status === 'succeeded') {
        const button = el('button', { type: 'button', text: 'Show report', 'aria-label': `Show the report of the backtest started ${new Date(job.createdAt).toLocaleString()}` });
        button.addEventListener('click', () => onReport(job.id));
        report.append(button);
      }
      return el(
        'tr',
        { 'data-backtest': job.id },
        cell(new Date(job.createdAt).toLocaleString()),
        cell(job.source ?? ''),
        cell(job.status, { 'data-status': job.status }),
        cell(job.summary ?? (job.error ? `${job.error.code}: ${job.error.message}` : '')),
        report,
      );
    }),
  );
}

/** The best model's MASE and the predictive policy's under-provisioning against reactive, in one line. */
export function backtestSummary(result) {
  const models = (result.models ?? []).filter((m) => Number.isFinite(m.mase));
  const best = models.sort((a, b) => a.mase - b.mase)[0];
  const parts = [];
  if (best) parts.push(`best ${best.model} MASE ${best.mase.toFixed(2)}`);
  const policies = result.replay?.policies ?? [];
  const predictive = policies.find((p) => p.policy === 'predictive');
  const reactive = policies.find((p) => p.policy === 'reactive');
  if (predictive && reactive) parts.push(`under-provisioned ${predictive.underProvisionedMinutes} min vs reactive ${reactive.underProvisionedMinutes} min`);
  return parts.join(' · ');
}
