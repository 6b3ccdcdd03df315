// Evaluator console (Ban giám khảo): a queue of what there is to judge — detections
// (link to the red action or inject they detect, or false positive), red-team
// findings (accept or reject, set the severity), incident reports (quality) and the
// expectations of released injects (met / partial / not met per team) — with points
// and a note. Every verdict is an `evaluation_recorded` event in the drill log. Also
// the availability checks of the blue teams' services (`service_check_recorded`, K6).

import {
  CappedList, DrillClock, LiveChannel, api, boot, drillPath, el, markFields, pick, ref, showClock,
  t, vnTime,
} from './console.js';
import { claimedTime, evaluationTarget, recordOf, recordTitle, verdictText } from './records.js';

const root = document.getElementById('console');
const clock = new DrillClock(boot.drill, boot.elapsed_ms);
showClock(clock);

const teamName = (id) => (id && boot.teams[id] ? boot.teams[id].name : '');
const blueTeams = Object.entries(boot.teams).filter(([, v]) => v.side === 'blue');

const injects = new Map(); // inject_id → released inject
const redActions = new Map(); // id → red action
const verdicts = new Map(); // target id → latest evaluation
let filter = 'todo';
let selected = null;
let replaying = true;

/** Items of the queue: { id, type, title, team_id, at, record } */
const queue = new CappedList(ref('queue'), ref('queue-more'), {
  render: (item) => renderItem(item),
  emptyEl: ref('queue-empty'),
  filter: (item) => (filter === 'all' || (filter === 'todo' ? !verdicts.has(item.id) : item.type === filter)),
});
const counter = ref('queue-count');

function paintCount() {
  let todo = 0;
  for (const item of queue.values()) if (!verdicts.has(item.id)) todo += 1;
  counter.textContent = `(${todo})`;
}

function renderItem(item) {
  const v = verdicts.get(item.id);
  return el('li', { class: `record queue-item kind-${item.type}${v ? ' judged' : ''}${selected === item.id ? ' selected' : ''}` },
    el('button', { type: 'button', class: 'queue-pick', dataset: { id: item.id }, 'aria-pressed': String(selected === item.id) },
      el('span', { class: 'badge', text: t(`kind-${item.type}`) }),
      item.team_id ? el('span', { class: 'team', text: teamName(item.team_id) }) : null,
      el('strong', { text: item.title }),
      el('span', { class: 'meta muted small', text: `${vnTime(item.at)} · ${v ? t('judged') : t('to-judge')}` })));
}

ref('queue').addEventListener('click', (e) => {
  const b = e.target.closest('.queue-pick');
  if (!b) return;
  const previous = selected;
  selected = b.dataset.id;
  if (previous) queue.update(previous, queue.get(previous));
  queue.update(selected, queue.get(selected));
  showJudge(queue.get(selected));
});

for (const b of root.querySelectorAll('[data-filter]')) {
  b.addEventListener('click', () => {
    filter = b.dataset.filter;
    for (const o of root.querySelectorAll('[data-filter]')) o.setAttribute('aria-pressed', String(o === b));
    queue.refresh();
  });
}

function addItem(item) {
  if (replaying) {
    // During the replay the list is drawn once, at its end.
    queue.stash(item.id, item);
  } else {
    queue.add(item.id, item);
    paintCount();
  }
}

// ---------------------------------------------------------------- verdict forms

const judge = ref('judge');
const judgeEmpty = ref('judge-empty');

function field(id, labelText, control) {
  return el('div', { class: 'field' }, el('label', { for: id, text: labelText }), control);
}

function select(id, name, options, required = true) {
  const s = el('select', { id, name, required });
  for (const [value, text] of options) s.append(el('option', { value, text }));
  return s;
}

function details(item) {
  const r = item.record;
  const lines = [el('h3', { text: item.title })];
  if (item.team_id) lines.push(el('p', { class: 'muted', text: `${t('team-of')}: ${teamName(item.team_id)}` }));
  if (r) {
    lines.push(el('p', { class: 'meta muted', text: t('received-at', vnTime(r.received_at)) + (claimedTime(r) ? ` · ${t('claimed-at', vnTime(claimedTime(r)))}` : '') }));
    const text = r.description || (r.form && r.form.description) || r.exploit_steps || '';
    if (text) lines.push(el('p', { class: 'body', text }));
    if (r.technique) lines.push(el('p', { class: 'muted', text: `ATT&CK ${r.technique}` }));
    for (const id of r.evidence_ids || []) {
      lines.push(el('p', {}, el('a', { href: drillPath(`/evidence/${id}`), target: '_blank', rel: 'noopener', text: `${t('evidence')} ${id.slice(0, 8)}` })));
    }
  } else if (item.inject) {
    if (item.inject.body) lines.push(el('p', { class: 'body', text: item.inject.body }));
  }
  const v = verdicts.get(item.id);
  lines.push(el('p', { class: `verdict${v ? '' : ' pending'}`, dataset: { ref: 'current-verdict' }, text: verdictText(v) }));
  return lines;
}

/** `YYYY-MM-DDTHH:MM:SS` in the browser's zone, for a datetime-local input. */
function localInput(iso) {
  const d = new Date(iso);
  if (Number.isNaN(d.getTime())) return '';
  const p = (n) => String(n).padStart(2, '0');
  return `${d.getFullYear()}-${p(d.getMonth() + 1)}-${p(d.getDate())}T${p(d.getHours())}:${p(d.getMinutes())}:${p(d.getSeconds())}`;
}

function formFor(item) {
  const p = `j-${item.type}`;
  const parts = [];
  const r = item.record;
  if (item.type === 'detection') {
    const options = [['', t('false-positive')]];
    for (const a of [...redActions.values()].reverse()) options.push([`red_action:${a.id}`, `${t('kind-red_action')} · ${vnTime(a.executed_at || a.received_at)} · ${recordTitle(a)}`]);
    for (const i of [...injects.values()].reverse()) options.push([`inject:${i.inject_id}`, `${t('kind-inject')} · ${vnTime(i.released_at)} · ${i.title}`]);
    const s = select(`${p}-link`, 'link', options, false);
    // What the team linked it to, if anything, is the likely answer.
    if (r.inject_id) s.value = `inject:${r.inject_id}`;
    if (r.red_action_id) s.value = `red_action:${r.red_action_id}`;
    parts.push(el('div', { class: 'field wide' }, el('label', { for: `${p}-link`, text: t('link-to') }), s));
  } else if (item.type === 'red_finding') {
    parts.push(field(`${p}-accept`, t('outcome'), select(`${p}-accept`, 'accepted', [['true', t('accept')], ['false', t('reject')]])));
    const sev = select(`${p}-sev`, 'severity', ['critical', 'high', 'medium', 'low'].map((c) => [c, t(`severity-${c}`)]));
    if (r.severity) sev.value = r.severity;
    parts.push(field(`${p}-sev`, t('severity'), sev));
  } else if (item.type === 'report') {
    parts.push(field(`${p}-q`, t('quality'), select(`${p}-q`, 'quality', [4, 3, 2, 1, 0].map((n) => [String(n), String(n)]))));
  } else if (item.type === 'containment') {
    parts.push(field(`${p}-eff`, t('outcome'), select(`${p}-eff`, 'effective', [['true', t('effective')], ['false', t('ineffective')]])));
  } else if (item.type === 'red_action') {
    const at = el('input', { id: `${p}-at`, name: 'verified_executed_at', type: 'datetime-local', step: '1', required: true, 'aria-describedby': `${p}-at-hint` });
    at.value = localInput(r.executed_at || r.received_at);
    parts.push(el('div', { class: 'field' }, el('label', { for: `${p}-at`, text: t('verify-at') }), at,
      el('p', { class: 'hint', id: `${p}-at-hint`, text: t('verify-hint') })));
  } else if (item.type === 'inject') {
    parts.push(field(`${p}-team`, t('team-of'), select(`${p}-team`, 'team_id', blueTeams.map(([id, v]) => [id, v.name]))));
    parts.push(field(`${p}-out`, t('judge-expectation'), select(`${p}-out`, 'verdict', ['met', 'partial', 'not_met'].map((c) => [c, t(`verdict-${c}`)]))));
    parts.push(field(`${p}-points`, t('points-label'), el('input', { id: `${p}-points`, name: 'points', type: 'number', step: '0.5', min: '0', required: true, value: '0' })));
  }
  parts.push(el('div', { class: 'field wide' }, el('label', { for: `${p}-note`, text: t('note') }), el('textarea', { id: `${p}-note`, name: 'note' })));
  const status = el('span', { class: 'form-status', role: 'status' });
  const button = el('button', { type: 'submit', class: 'primary', text: t('save-verdict') });
  const form = el('form', { class: 'record-form verdict-form', novalidate: true },
    el('div', { class: 'grid' }, ...parts),
    el('div', { class: 'actions' }, button, status));
  let submissionId = null;
  form.addEventListener('submit', async (e) => {
    e.preventDefault();
    if (button.disabled) return;
    button.disabled = true;
    status.textContent = t('submitting');
    submissionId ??= crypto.randomUUID();
    try {
      const body = evaluationBody(item, new FormData(form));
      body.submission_id = submissionId;
      const saved = await api('POST', drillPath('/evaluations'), body);
      submissionId = null;
      markFields(form, {});
      recordVerdict(saved);
      status.textContent = t('verdict-saved');
    } catch (err) {
      const marked = err.fields ? markFields(form, err.fields) : false;
      status.textContent = err.status ? t('error', marked ? t('error-fields') : err.message) : t('error-network');
    } finally {
      button.disabled = false;
    }
  });
  return form;
}

/** The verdict request of `POST …/evaluations` for an item and its form. */
function evaluationBody(item, data) {
  const note = (data.get('note') || '').trim();
  const body = { target: item.type === 'inject' ? 'expectation' : item.type };
  if (note) body.note = note;
  switch (item.type) {
    case 'detection': {
      body.detection_id = item.id;
      const link = data.get('link');
      if (link) {
        const [kind, id] = link.split(':');
        body.links = kind === 'inject' ? { inject_id: id } : { red_action_id: id };
      } else {
        body.false_positive = true;
      }
      break;
    }
    case 'red_finding':
      body.finding_id = item.id;
      body.accepted = data.get('accepted') === 'true';
      body.severity = data.get('severity');
      break;
    case 'report':
      body.report_id = item.id;
      body.quality = Number(data.get('quality'));
      break;
    case 'containment':
      body.containment_id = item.id;
      body.effective = data.get('effective') === 'true';
      break;
    case 'red_action': {
      body.red_action_id = item.id;
      const at = new Date(data.get('verified_executed_at'));
      body.verified_executed_at = Number.isNaN(at.getTime()) ? data.get('verified_executed_at') : at.toISOString();
      break;
    }
    default:
      body.inject_id = item.inject.inject_id;
      body.team_id = data.get('team_id');
      body.verdict = data.get('verdict');
      body.points = Number(data.get('points'));
  }
  return body;
}

function showJudge(item) {
  if (!item) return;
  judgeEmpty.hidden = true;
  judge.replaceChildren(...details(item), formFor(item));
  judge.querySelector('select, input, textarea')?.focus();
}

function recordVerdict(evaluation) {
  const target = evaluationTarget(evaluation);
  if (!target) return;
  // An expectation is judged per team: the queue item is the inject.
  verdicts.set(target, evaluation);
  if (queue.get(target)) {
    queue.update(target, queue.get(target));
    if (filter === 'todo' && !replaying) queue.refresh();
  }
  const line = selected === target ? judge.querySelector('[data-ref="current-verdict"]') : null;
  if (line) {
    line.textContent = verdictText(evaluation);
    line.classList.remove('pending');
  }
  paintCount();
}

// ---------------------------------------------------------------- service checks

// Availability (K6): each check of a blue team's target service, up or down.
const systemName = (id) => (boot.systems && boot.systems[id]) || '';
const checks = new CappedList(ref('checks'), ref('checks-more'), {
  pageSize: 20,
  emptyEl: ref('checks-empty'),
  render: (c) => el('li', { class: `record check ${c.up ? 'up' : 'down'}` },
    el('time', { datetime: c.checked_at, text: vnTime(c.checked_at) }),
    el('span', { class: 'badge', text: t(c.up ? 'check-up' : 'check-down') }),
    el('strong', { text: teamName(c.team_id) }),
    el('span', { text: [systemName(c.system_id), c.note].filter(Boolean).join(' — ') })),
});

function checkForm() {
  const systems = Object.entries(boot.systems || {});
  if (!blueTeams.length || !systems.length) return el('p', { class: 'muted', text: t('checks-impossible') });
  // Two plain buttons, not submit buttons: Enter in the note must not record "up".
  const up = el('button', { type: 'button', class: 'primary', text: t('check-record-up') });
  const down = el('button', { type: 'button', text: t('check-record-down') });
  const status = el('span', { class: 'form-status', role: 'status' });
  const form = el('form', { class: 'record-form check-form', novalidate: true },
    el('div', { class: 'grid' },
      field('chk-team', t('team-of'), select('chk-team', 'team_id', blueTeams.map(([id, v]) => [id, v.name]))),
      field('chk-system', t('check-system'), select('chk-system', 'system_id', systems)),
      el('div', { class: 'field wide' }, el('label', { for: 'chk-note', text: t('note') }),
        el('input', { id: 'chk-note', name: 'note', type: 'text', maxlength: '500' }))),
    el('div', { class: 'actions' }, up, down, status));
  form.addEventListener('submit', (e) => e.preventDefault());
  // A retry after a network error reuses the submission id only for the same check,
  // so that a first attempt that did arrive is not recorded twice.
  let pending = null; // { key, submissionId }
  async function record(isUp) {
    if (up.disabled) return;
    up.disabled = true;
    down.disabled = true;
    status.textContent = t('submitting');
    const data = new FormData(form);
    const body = { team_id: data.get('team_id'), system_id: data.get('system_id'), up: isUp };
    const note = (data.get('note') || '').trim();
    if (note) body.note = note;
    const key = JSON.stringify(body);
    if (!pending || pending.key !== key) pending = { key, submissionId: crypto.randomUUID() };
    body.submission_id = pending.submissionId;
    try {
      await api('POST', drillPath('/service-checks'), body);
      pending = null;
      markFields(form, {});
      form.elements.note.value = '';
      status.textContent = t('check-saved');
    } catch (err) {
      if (err.status) pending = null;
      const marked = err.fields ? markFields(form, err.fields) : false;
      status.textContent = err.status ? t('error', marked ? t('error-fields') : err.message) : t('error-network');
    } finally {
      up.disabled = false;
      down.disabled = false;
    }
  }
  up.addEventListener('click', () => record(true));
  down.addEventListener('click', () => record(false));
  return form;
}

ref('check-form').replaceChildren(checkForm());

// ---------------------------------------------------------------- events

function onEvent(event, live) {
  if (event.kind.startsWith('drill_')) { clock.apply(event); return; }
  const d = event.data || {};
  if (event.kind === 'inject_released') {
    const inject = { inject_id: d.inject_id, key: d.key, title: pick(d.title), body: pick(d.body), released_at: d.released_at || event.at };
    injects.set(d.inject_id, inject);
    addItem({ id: d.inject_id, type: 'inject', title: inject.title, at: inject.released_at, inject });
  } else if (event.kind === 'evaluation_recorded') {
    recordVerdict(d);
  } else if (event.kind === 'service_check_recorded') {
    checks.add(d.id, d);
  } else {
    const r = recordOf(event);
    if (!r) return;
    if (r.record_kind === 'red_action') redActions.set(r.id, r);
    addItem({ id: r.id, type: r.record_kind, title: recordTitle(r), team_id: r.team_id, at: r.received_at, record: r });
  }
}

function finishReplay() {
  replaying = false;
  queue.refresh();
  paintCount();
}

new LiveChannel({ onEvent, onReplayed: () => { if (replaying) finishReplay(); } }).start();
