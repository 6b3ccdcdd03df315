// Controller console (Ban tổ chức): the scenario timeline with a countdown to the
// next inject, the drill's lifecycle, release-now / skip / ad-hoc injects, who is
// online per team, the live stream of what participants do, and the times to detect
// of the scorecard, refreshed when something that changes them happens.

import {
  ApiError, CappedList, DrillClock, LiveChannel, api, boot, drillPath, duration, el, pick, ref,
  serverNow, showClock, showError, t, vnTime, wireForm,
} from './console.js';
import { RECORD_EVENTS, recordOf, recordTitle, verdictText } from './records.js';

const root = document.getElementById('console');
const clock = new DrillClock(boot.drill, boot.elapsed_ms);
showClock(clock);
const mayControl = boot.may_control;

const teamName = (id) => (id && boot.teams[id] ? boot.teams[id].name : null);

// ---------------------------------------------------------------- lifecycle

const lifecycle = ref('lifecycle');
function paintLifecycle() {
  if (!lifecycle) return;
  const allowed = {
    planned: ['start'],
    running: ['pause', 'end'],
    paused: ['resume', 'end'],
    ended: [],
  }[clock.status] || [];
  for (const b of lifecycle.querySelectorAll('[data-transition]')) {
    b.hidden = !allowed.includes(b.dataset.transition);
  }
}
clock.listeners.push(paintLifecycle);
paintLifecycle();
if (lifecycle) {
  lifecycle.addEventListener('click', async (e) => {
    const b = e.target.closest('[data-transition]');
    if (!b) return;
    const transition = b.dataset.transition;
    if (transition === 'end' && !window.confirm(t('confirm-end'))) return;
    b.disabled = true;
    try {
      const drill = await api('POST', drillPath(`/${transition}`));
      // The event follows on the socket; the answer already knows the new status.
      clock.status = drill.status;
      paintLifecycle();
      scheduleTimeline();
    } catch (err) {
      showError(t('error', err.message));
    } finally {
      b.disabled = false;
    }
  });
}

// The drill's speed (drill seconds per second): from the planned pace on.
const speedForm = ref('speed-form');
function paintSpeed() {
  if (!speedForm) return;
  speedForm.hidden = clock.status === 'ended';
  const select = speedForm.elements.speed;
  const current = String(clock.speed);
  if (![...select.options].some((o) => o.value === current)) {
    select.append(el('option', { value: current, text: `×${current}` }));
  }
  select.value = current;
}
clock.listeners.push(paintSpeed);
paintSpeed();
speedForm?.addEventListener('submit', async (e) => {
  e.preventDefault();
  const button = speedForm.querySelector('button');
  button.disabled = true;
  try {
    const drill = await api('POST', drillPath('/speed'), { speed: Number(speedForm.elements.speed.value) });
    clock.speed = drill.speed;
    paintSpeed();
    scheduleTimeline();
  } catch (err) {
    showError(t('error', err.message));
  } finally {
    button.disabled = false;
  }
});

// ---------------------------------------------------------------- timeline

const timelineBody = ref('timeline');
const rows = new Map(); // inject_id → { entry, tr }
let entries = [];

function dueText(entry) {
  if (entry.state === 'released') return vnTime(entry.released_at);
  if (entry.due_at) return vnTime(entry.due_at);
  if (entry.offset_s !== null && entry.offset_s !== undefined) return `T+${duration(entry.offset_s)}`;
  return entry.ad_hoc ? t('adhoc') : t('manual');
}

function renderRow(entry) {
  const actions = mayControl && entry.state === 'pending' && ['running', 'paused'].includes(clock.status)
    ? el('td', { class: 'row-actions' },
      el('button', { type: 'button', class: 'small primary', dataset: { act: 'release', key: entry.key }, text: t('release') }),
      el('button', { type: 'button', class: 'small', dataset: { act: 'skip', key: entry.key }, text: t('skip') }))
    : (mayControl ? el('td') : null);
  return el('tr', { class: `state-${entry.state}`, dataset: { injectId: entry.inject_id } },
    el('td', { class: 'due' }, dueText(entry)),
    el('td', {},
      el('strong', { text: pick(entry.title) }),
      el('span', { class: 'muted small' }, ` · ${entry.key} · ${t(`channel-${entry.channel}`)}`)),
    el('td', {}, el('span', { class: `badge state-${entry.state}`, text: t(`state-${entry.state}`) })),
    actions);
}

function renderTimeline(list) {
  entries = list;
  rows.clear();
  const frag = document.createDocumentFragment();
  for (const entry of list) {
    const tr = renderRow(entry);
    rows.set(entry.inject_id, { entry, tr });
    frag.append(tr);
  }
  timelineBody.replaceChildren(frag);
  paintNext();
}

function updateRow(injectId, patch) {
  const row = rows.get(injectId);
  if (!row) { scheduleTimeline(); return; }
  Object.assign(row.entry, patch);
  const tr = renderRow(row.entry);
  row.tr.replaceWith(tr);
  row.tr = tr;
  paintNext();
}

async function loadTimeline() {
  try {
    const page = await api('GET', drillPath('/timeline'));
    renderTimeline(page.items);
  } catch (err) {
    showError(t('error', err.message));
  }
}

// Due times of pending injects move with pauses and resumes: read them again, once
// for a burst of events.
let timelineTimer = null;
function scheduleTimeline() {
  clearTimeout(timelineTimer);
  timelineTimer = setTimeout(loadTimeline, 300);
}

timelineBody.addEventListener('click', async (e) => {
  const b = e.target.closest('button[data-act]');
  if (!b) return;
  const { act, key } = b.dataset;
  if (act === 'skip' && !window.confirm(t('confirm-skip'))) return;
  b.disabled = true;
  try {
    await api('POST', drillPath(`/injects/${encodeURIComponent(key)}/${act}`));
  } catch (err) {
    b.disabled = false;
    showError(t('error', err.message));
  }
});

const next = ref('next');
function paintNext() {
  if (clock.status === 'paused' || clock.status === 'planned') { next.textContent = t('next-held'); return; }
  if (clock.status === 'ended') { next.textContent = ''; return; }
  let soonest = null;
  for (const e of entries) {
    if (e.state !== 'pending' || !e.due_at) continue;
    if (!soonest || e.due_at < soonest.due_at) soonest = e;
  }
  if (!soonest) { next.textContent = t('next-none'); return; }
  const left = (new Date(soonest.due_at).getTime() - serverNow()) / 1000;
  next.textContent = t('next-in', pick(soonest.title), duration(left));
}
setInterval(paintNext, 1000);

// ---------------------------------------------------------------- ad-hoc injects

const adhoc = root.querySelector('[data-form="adhoc"]');
if (adhoc) {
  wireForm(adhoc, {
    path: drillPath('/injects'),
    evidence: false,
    idempotent: false,
    build: (body) => ({
      audience: body.audience,
      channel: body.channel,
      title: { vi: body.title?.vi ?? '', en: body.title?.en ?? '' },
      body: { vi: body.body?.vi ?? '', en: body.body?.en ?? '' },
    }),
  });
}

// ---------------------------------------------------------------- presence

const presence = ref('presence');
async function loadPresence() {
  let answer;
  try {
    answer = await api('GET', drillPath('/presence'));
  } catch {
    return; // The next poll tries again; the stream shows the connection state.
  }
  const items = [];
  for (const team of answer.teams) {
    const names = answer.users.filter((u) => u.team_id === team.team_id).map((u) => u.full_name || u.username);
    items.push(el('li', { class: `presence-team side-${team.side}${team.online ? ' on' : ''}` },
      el('span', { class: 'dot', 'aria-hidden': 'true' }),
      el('strong', { text: teamName(team.team_id) || team.team_id }),
      el('span', { class: 'muted', text: ` · ${team.online ? t('online-count', team.online) : t('nobody')}` }),
      names.length ? el('span', { class: 'names small', text: names.join(', ') }) : null));
  }
  const staff = answer.users.filter((u) => !u.team_id).map((u) => u.full_name || u.username);
  items.push(el('li', { class: `presence-team staff${staff.length ? ' on' : ''}` },
    el('span', { class: 'dot', 'aria-hidden': 'true' }),
    el('strong', { text: t('staff') }),
    el('span', { class: 'muted', text: ` · ${staff.length ? t('online-count', staff.length) : t('nobody')}` }),
    staff.length ? el('span', { class: 'names small', text: staff.join(', ') }) : null));
  presence.replaceChildren(...items);
}
setInterval(loadPresence, 10000);

// ---------------------------------------------------------------- scorecard

const scoreBody = ref('scorecard');
const scoreNote = ref('scorecard-note');
const secs = (v) => (v === null || v === undefined ? t('none') : duration(v));
// team_id → the drill score (0–100) of the latest `score_updated` (the live scoreboard).
const liveScores = new Map();
const score = (v) => (typeof v === 'number' ? v.toFixed(1) : t('none'));

async function loadScorecard() {
  let card;
  try {
    card = await api('GET', drillPath('/scorecard'));
  } catch (err) {
    scoreNote.textContent = err instanceof ApiError && err.status === 404 ? t('scorecard-unavailable') : t('error', err.message);
    return;
  }
  const rowsOut = [];
  // Blue teams only: the scorecard measures the defenders.
  for (const team of card.teams || []) {
    rowsOut.push(el('tr', { dataset: { teamId: team.team_id } },
      el('th', { scope: 'row', text: teamName(team.team_id) || team.team_id }),
      el('td', { class: 'num mttd', text: secs(team.mean_time_to_detect_s) }),
      el('td', { class: 'num', text: secs(team.median_time_to_detect_s) }),
      el('td', { class: 'num', text: secs(team.p90_time_to_detect_s) }),
      el('td', { class: 'num' }, `${team.detected}/${team.items}`,
        team.undetected ? el('span', { class: 'muted small', text: ` (${t('undetected', team.undetected)})` }) : null),
      el('td', { class: 'num', text: secs(team.mean_time_to_acknowledge_s) }),
      el('td', { class: 'num drill-score', text: score(liveScores.get(team.team_id)) })));
  }
  scoreBody.replaceChildren(...rowsOut);
  scoreNote.textContent = t('scorecard-updated', vnTime(new Date(serverNow()).toISOString()));
}

let scoreTimer = null;
function scheduleScorecard() {
  clearTimeout(scoreTimer);
  scoreTimer = setTimeout(loadScorecard, 500);
}

// ---------------------------------------------------------------- live stream

const stream = new CappedList(ref('stream'), ref('stream-more'), {
  pageSize: 60,
  render: (item) => el('li', { class: `stream-item ev-${item.kind}` },
    el('time', { datetime: item.at, text: vnTime(item.at) }),
    el('span', { class: 'badge', text: t(`ev-${item.kind}`) }),
    item.team ? el('strong', { text: item.team }) : null,
    el('span', { class: 'what', text: item.text })),
});

function describe(event) {
  const d = event.data || {};
  if (event.kind === 'inject_released' || event.kind === 'inject_skipped') {
    return { text: pick(d.title) || d.key || '' };
  }
  if (event.kind === 'ack_recorded') {
    const entry = rows.get(d.inject_id)?.entry;
    return { team: teamName(d.team_id), text: entry ? pick(entry.title) : (d.key || '') };
  }
  if (RECORD_EVENTS[event.kind]) {
    const r = recordOf(event);
    return { team: teamName(r.team_id), text: recordTitle(r) };
  }
  if (event.kind === 'evaluation_recorded') {
    return { team: teamName(d.team_id), text: verdictText(d) };
  }
  if (event.kind === 'service_check_recorded') {
    return { team: teamName(d.team_id), text: [t(d.up ? 'service-up' : 'service-down'), d.note].filter(Boolean).join(' — ') };
  }
  if (event.kind === 'evidence_uploaded') {
    return { team: teamName(d.team_id), text: [d.filename, d.content_type].filter(Boolean).join(' · ') };
  }
  return { text: '' };
}

// Events that move the scorecard.
const SCORING = new Set(['inject_released', 'ack_recorded', 'detection_recorded', 'containment_recorded',
  'red_action_recorded', 'report_submitted', 'evaluation_recorded', 'service_check_recorded', 'score_updated',
  'drill_ended']);

function onEvent(event, live) {
  if (event.kind.startsWith('drill_')) {
    clock.apply(event);
    scheduleTimeline();
  }
  const d = event.data || {};
  if (event.kind === 'inject_released') updateRow(d.inject_id, { state: 'released', released_at: d.released_at });
  if (event.kind === 'inject_skipped') updateRow(d.inject_id, { state: 'skipped' });
  if (event.kind === 'score_updated') {
    for (const team of d.teams || []) liveScores.set(team.team_id, team.score);
    // Replayed or live, the newest scores are shown.
    scheduleScorecard();
  } else {
    stream.add(event.seq, { kind: event.kind, at: event.at, ...describe(event) });
  }
  if (live && SCORING.has(event.kind)) scheduleScorecard();
}

function onHello() {
  loadPresence();
  loadScorecard();
}

await loadTimeline();
new LiveChannel({ onEvent, onHello, onReconnect: scheduleTimeline }).start();
